"""Learning-rate schedules against hand formulas, their configs and their errors."""

import math

import numpy as np
import pytest

from numpynet import config, schedules


def f32(x):
    """What Keras returns: the value computed in float32."""
    return float(np.float32(x))


@pytest.mark.parametrize("step", [0, 1, 5, 10, 37])
def test_exponential_decay_matches_formula(step):
    lr = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert lr(step) == pytest.approx(0.1 * 0.5 ** (step / 10), rel=1e-6)
    stairs = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert stairs(step) == pytest.approx(0.1 * 0.5 ** (step // 10), rel=1e-6)


@pytest.mark.parametrize("step", [0, 1, 5, 10, 37])
def test_inverse_time_decay_matches_formula(step):
    lr = schedules.InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert lr(step) == pytest.approx(0.1 / (1 + 0.5 * step / 10), rel=1e-6)
    stairs = schedules.InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert stairs(step) == pytest.approx(0.1 / (1 + 0.5 * (step // 10)), rel=1e-6)


def test_piecewise_constant_decay_boundaries_belong_to_the_earlier_interval():
    lr = schedules.PiecewiseConstantDecay(boundaries=[10, 20], values=[1.0, 0.5, 0.1])
    got = [lr(step) for step in (0, 10, 11, 20, 21, 1000)]
    assert got == [1.0, 1.0, 0.5, 0.5, f32(0.1), f32(0.1)]


@pytest.mark.parametrize("step", [0, 3, 10, 25])
def test_polynomial_decay_matches_formula(step):
    lr = schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01, power=2.0)
    p = min(step, 10) / 10
    assert lr(step) == pytest.approx((0.1 - 0.01) * (1 - p) ** 2 + 0.01, rel=1e-6)


def test_polynomial_decay_cycle_stretches_decay_steps():
    lr = schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0, cycle=True)
    assert lr(0) == pytest.approx(0.1)  # step 0: multiplier 1
    assert lr(15) == pytest.approx(0.1 * (1 - 15 / 20), rel=1e-6)  # ceil(15/10) = 2 cycles
    assert lr(20) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("step", [0, 2, 5, 10, 50])
def test_cosine_decay_matches_formula(step):
    lr = schedules.CosineDecay(0.1, decay_steps=10, alpha=0.2)
    s = min(step, 10)
    decayed = (1 - 0.2) * 0.5 * (1 + math.cos(math.pi * s / 10)) + 0.2
    assert lr(step) == pytest.approx(0.1 * decayed, rel=1e-6)


@pytest.mark.parametrize("step", [0, 2, 4, 5, 9, 14, 100])
def test_cosine_decay_with_warmup(step):
    lr = schedules.CosineDecay(0.0, decay_steps=10, warmup_target=0.1, warmup_steps=5)
    if step < 5:
        expected = 0.1 * step / 5  # linear warmup from 0 to 0.1
    else:
        s = min(step, 15) - 5
        expected = 0.1 * 0.5 * (1 + math.cos(math.pi * s / 10))
    assert lr(step) == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_schedules_compute_in_float32_even_when_floatx_is_float64():
    previous = config.floatx()
    config.set_floatx("float64")
    try:
        lr = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
        assert lr(0) == f32(0.1) != 0.1  # Keras: tf.convert_to_tensor(0.1) is float32
        assert isinstance(lr(3), float)
    finally:
        config.set_floatx(previous)


@pytest.mark.parametrize("cls, kwargs", [
    (schedules.ExponentialDecay, {"decay_rate": 0.5}),
    (schedules.InverseTimeDecay, {"decay_rate": 0.5}),
    (schedules.PolynomialDecay, {}),
    (schedules.CosineDecay, {}),
])
def test_decay_steps_must_be_positive(cls, kwargs):
    with pytest.raises(ValueError, match=r"Argument `decay_steps` must be > 0. Received: "
                                         r"decay_steps=0"):
        cls(0.1, decay_steps=0, **kwargs)


def test_piecewise_constant_decay_length_error():
    with pytest.raises(ValueError, match="The length of boundaries should be 1 less than the "
                                         "length of values"):
        schedules.PiecewiseConstantDecay(boundaries=[1, 2], values=[0.1, 0.2])


def test_base_class_must_be_overridden():
    class Incomplete(schedules.LearningRateSchedule):
        pass

    with pytest.raises(NotImplementedError, match=r"'Incomplete' must override `__call__"):
        Incomplete()(0)
    with pytest.raises(NotImplementedError, match=r"'Incomplete' must override `get_config\(\)`"):
        Incomplete().get_config()


@pytest.mark.parametrize("schedule", [
    schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
    schedules.InverseTimeDecay(0.1, 10, 0.5),
    schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]),
    schedules.PolynomialDecay(0.1, 10, cycle=True),
    schedules.CosineDecay(0.1, 10, alpha=0.1, warmup_target=0.2, warmup_steps=3),
])
def test_serialize_round_trip(schedule):
    spec = schedules.serialize(schedule)
    assert spec["module"] == "keras.optimizers.schedules"
    assert spec["class_name"] == type(schedule).__name__
    rebuilt = schedules.deserialize(spec)
    assert type(rebuilt) is type(schedule)
    assert rebuilt.get_config() == schedule.get_config()
    assert [rebuilt(s) for s in range(0, 30, 7)] == [schedule(s) for s in range(0, 30, 7)]
    assert schedules.get(spec).get_config() == schedule.get_config()
    assert schedules.get(schedule) is schedule
    assert schedules.get(None) is None


def test_serialization_errors():
    with pytest.raises(ValueError, match="Unknown learning rate schedule: 'Nope'. Valid names"):
        schedules.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="expected a dict with 'class_name' and 'config'"):
        schedules.deserialize("ExponentialDecay")
    with pytest.raises(ValueError, match="Cannot serialize 0.1: expected a LearningRateSchedule"):
        schedules.serialize(0.1)
    with pytest.raises(ValueError, match="Could not interpret learning rate schedule identifier"):
        schedules.get("exponential_decay")


def test_deserialize_custom_schedule():
    class Halving(schedules.LearningRateSchedule):
        def __init__(self, start):
            self.start = start

        def __call__(self, step):
            return self.start / 2 ** step

        def get_config(self):
            return {"start": self.start}

    spec = {"class_name": "Halving", "config": {"start": 1.0}}
    assert schedules.deserialize(spec, custom_objects={"Halving": Halving})(2) == 0.25
