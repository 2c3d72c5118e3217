"""A check of GWE's own for the schemathesis run (tests/gwe/test_api_fuzz.py): an account given
no permission gets no 2xx from an operation that needs credentials."""

import os

import schemathesis

UNPRIVILEGED = "GWE_FUZZ_UNPRIVILEGED"  # set for the run as the account with no permission


@schemathesis.check
def nothing_for_an_account_without_permission(ctx, response, case):
    if os.environ.get(UNPRIVILEGED) != "1":
        return None
    if case.operation.definition.raw.get("security") == []:
        return None  # public: the page's or the invitation's token is the credential
    if 200 <= response.status_code < 300:
        raise AssertionError(
            f"{case.method} {case.path} answered {response.status_code} to an account "
            "given no permission (403 is due)"
        )
    return None
