from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gwe.serving import SERVERS, Serving, serve


class Command(BaseCommand):
    help = (
        "Serve GWE (gwe.asgi:application) with daphne or uvicorn, holding every connection to "
        "GWE_HEADER_TIMEOUT_SECONDS for its headers and GWE_WEBSOCKET_MAX_BYTES per WebSocket "
        "message (docs/deployment.md). One process: run several behind a load balancer to "
        "scale out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--server", choices=SERVERS, default="daphne")
        parser.add_argument("--host", default="127.0.0.1", help="the address to listen on")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, server, host, port, verbosity, **options):
        serving = Serving(
            host=host,
            port=port,
            header_seconds=settings.GWE_HEADER_TIMEOUT_SECONDS,
            websocket_max_bytes=settings.GWE_WEBSOCKET_MAX_BYTES,
            verbosity=verbosity,
        )
        if verbosity >= 1:
            self.stdout.write(f"Serving GWE with {server} on http://{host}:{port}/")
        try:
            serve(server, serving)
        except ModuleNotFoundError as missing:
            raise CommandError(f"{missing}: pip install -e '.[{server}]'") from missing
