from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = (
        "Run once what every serving process does now and then (GWE_SWEEPS): expire "
        "notifications and invitations, close expired visits and gone pages, watch chats' "
        "visitors, pass on unanswered chats. For cron, beside or instead of the servers' own."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "jobs",
            nargs="*",
            metavar="JOB",
            help="only these (a dotted path of GWE_SWEEPS, or its last part)",
        )

    def handle(self, *args, jobs: list[str], **options):
        chosen = [path for path in settings.GWE_SWEEPS if not jobs or _named(path, jobs)]
        unknown = [j for j in jobs if not any(_named(path, [j]) for path in settings.GWE_SWEEPS)]
        if unknown:
            known = ", ".join(path.rsplit(".", 1)[1] for path in settings.GWE_SWEEPS)
            raise CommandError(f"no sweep {', '.join(unknown)} (known: {known})")
        for path in chosen:
            done = import_string(path)()
            self.stdout.write(f"{path.rsplit('.', 1)[1]}: {done}")


def _named(path: str, names: list[str]) -> bool:
    return path in names or path.rsplit(".", 1)[1] in names
