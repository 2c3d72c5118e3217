"""A small shop that embeds the tracker exactly as a customer's site would."""

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render


@dataclass(frozen=True)
class Product:
    slug: str
    name: str
    sku: str
    price: int
    blurb: str


PRODUCTS = [
    Product("trail-runner", "Trail Runner", "SHOE-TR", 89, "Grippy, light, made for muddy paths."),
    Product("city-loafer", "City Loafer", "SHOE-CL", 120, "Soft leather for long days in town."),
    Product(
        "summit-boot", "Summit Boot", "SHOE-SB", 159, "Waterproof and warm above the tree line."
    ),
]


def _page(request: HttpRequest, template: str, **context) -> HttpResponse:
    gwe_origin = f"{request.scheme}://{request.get_host()}"
    return render(request, f"demo/{template}", {"gwe_origin": gwe_origin, **context})


def home(request: HttpRequest) -> HttpResponse:
    return _page(request, "home.html", products=PRODUCTS)


def product(request: HttpRequest, slug: str) -> HttpResponse:
    found = next((p for p in PRODUCTS if p.slug == slug), None)
    if found is None:
        raise Http404("no such product")
    return _page(request, "product.html", product=found)


def pricing(request: HttpRequest) -> HttpResponse:
    return _page(request, "pricing.html")


def account(request: HttpRequest) -> HttpResponse:
    return _page(request, "account.html")


def app(request: HttpRequest, path: str = "") -> HttpResponse:
    return _page(request, "app.html")


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "demo/index.html")
