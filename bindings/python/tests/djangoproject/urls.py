from django.urls import path

from djangoproject import views

urlpatterns = [
    path("api/items", views.items),
    path("api/async", views.async_items),
    path("api/private", views.private),
    path("api/vary", views.varies),
    path("api/vary-star", views.varies_on_everything),
    path("api/boom", views.boom),
    path("other", views.outside),
]
