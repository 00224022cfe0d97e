"""The one error every dataset reader raises for a file whose contents are wrong."""


class DatasetError(ValueError):
    """A data file exists but is not what its format promises (truncated, wrong header, bad cell).

    It subclasses :class:`ValueError`, so ``except ValueError`` still catches it; the message
    always names the file and what was expected. A *missing* file raises
    :class:`FileNotFoundError` instead.
    """
