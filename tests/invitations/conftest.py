import pytest

from invitations.config import forget_configuration


@pytest.fixture(autouse=True)
def fresh_configuration():
    """Each test sees the rules, templates and policy it made, not an earlier test's."""
    forget_configuration()
    yield
    forget_configuration()
