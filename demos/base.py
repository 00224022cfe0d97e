"""What every demo receives (:class:`DemoConfig`) and returns (:class:`DemoResult`)."""

import dataclasses
import pathlib


@dataclasses.dataclass
class DemoConfig:
    """Settings shared by all demos.

    Attributes:
        quick: small data and few epochs (used by the tests; a few seconds per demo).
        dataset: ``"digits"`` (default, offline), ``"mnist"``, ``"fashion-mnist"`` or
            ``"csv:PATH"``.
        out_dir: the demo's own output folder (figures go here).
        seed: seed for ``nn.utils.set_random_seed``.
        keras: also train the Keras twin and report both.
        verbose: 0 silent, 1 tqdm bars for training.
    """

    quick: bool = False
    dataset: str = "digits"
    out_dir: pathlib.Path = pathlib.Path("demos_out")
    seed: int = 0
    keras: bool = False
    verbose: int = 0

    def epochs(self, full, quick=2):
        """Number of epochs: ``full`` normally, ``quick`` in quick mode."""
        return quick if self.quick else full


@dataclasses.dataclass
class Table:
    title: str
    columns: list
    rows: list


@dataclasses.dataclass
class Figure:
    path: str  # relative to the report's folder
    caption: str


@dataclasses.dataclass
class DemoResult:
    """What a demo reports: key numbers, tables and figures.

    Attributes:
        title: section title in the report.
        numbers: ``name -> value`` (floats, ints or short strings).
        tables: extra tables.
        figures: PNG figures written by the demo.
        text: a short explanation shown above the figures.
    """

    title: str
    numbers: dict = dataclasses.field(default_factory=dict)
    tables: list = dataclasses.field(default_factory=list)
    figures: list = dataclasses.field(default_factory=list)
    text: str = ""
