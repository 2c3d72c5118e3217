"""An account for a system that calls the REST API, with named capabilities; prints its token."""

from django.core.management.base import BaseCommand, CommandError

from gwe.api_accounts import CAPABILITIES, UnknownCapability, api_account_ensure, capabilities_parse


class Command(BaseCommand):
    help = (
        "Create or update an API account with the capabilities named (again: sets exactly "
        "those) and print its token. Capabilities: "
        + "; ".join(f"{name}: {c.says}" for name, c in CAPABILITIES.items())
        + "."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--can",
            required=True,
            metavar="CAPABILITIES",
            help=f"comma-separated: {','.join(CAPABILITIES)}, or all",
        )
        parser.add_argument("--new-token", action="store_true", help="replace the account's token")
        parser.add_argument(
            "--password",
            action="store_true",
            help="also set a new random password for HTTP Basic, printed once",
        )

    def handle(self, *args, username: str, can: str, new_token: bool, password: bool, **options):
        try:
            capabilities = capabilities_parse(can)
        except UnknownCapability as exc:
            raise CommandError(str(exc)) from None
        account = api_account_ensure(
            username=username,
            capabilities=capabilities,
            new_token=new_token,
            new_password=password,
        )
        made = "created" if account.created else "updated"
        self.stdout.write(f"API account {username} {made}; it may:")
        for name in capabilities:
            self.stdout.write(f"  {name:8} {CAPABILITIES[name].says}")
        self.stdout.write(f"Token: {account.token}")
        if account.password:
            self.stdout.write(f"Password: {account.password}")
        self.stdout.write(
            self.style.SUCCESS(f'Send it as the header "Authorization: Token {account.token}".')
        )
