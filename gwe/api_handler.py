"""Django for the server-to-server API's hot path, without the browser middleware.

Sessions, CSRF, messages, clickjacking headers and static files are for people in a browser;
a contact-center system calling notify authenticates every request itself (Basic or Token).
Under ASGI each of those middlewares costs two thread switches per request, more than the
notify itself, so the hot path skips them. Everything else (URL resolution, the DRF view,
its authentication, validation and error handling) is the same code as on the full stack.
"""

from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import convert_exception_to_response


class ApiHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list = []
        self._template_response_middleware: list = []
        self._exception_middleware: list = []
        get_response = self._get_response_async if is_async else self._get_response  # type: ignore[attr-defined]
        self._middleware_chain = convert_exception_to_response(get_response)
