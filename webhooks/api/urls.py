from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("webhooks", views.SubscriptionViewSet, basename="api-webhook")

urlpatterns = router.urls
