from tests.posdata.helpers import catalog  # noqa: F401
