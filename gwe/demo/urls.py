from django.urls import path

from gwe.demo import views

urlpatterns = [
    path("", views.index, name="index"),
    path("demo/", views.home, name="demo-home"),
    path("demo/products/<slug:slug>/", views.product, name="demo-product"),
    path("demo/pricing/", views.pricing, name="demo-pricing"),
    path("demo/account/", views.account, name="demo-account"),
    path("demo/app/", views.app, name="demo-app"),
    path("demo/app/<path:path>", views.app, name="demo-app-route"),
]
