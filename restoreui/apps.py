from django.apps import AppConfig


class RestoreuiConfig(AppConfig):
    name = "restoreui"

    def ready(self):
        # The service module counts through hooks so that it need not know about Prometheus.
        from restoreui import metrics
        from restoreui.pinecone import hooks

        hooks.on_upstream_call = metrics.on_upstream_call
        hooks.on_cache = metrics.on_cache

        from restoreui.history import record

        hooks.on_restore_jobs_listed = record.record_listing
        hooks.on_restore_job_loaded = record.record_job

        from django.contrib.auth.signals import user_logged_in

        from restoreui.preferences import remember_preferences

        user_logged_in.connect(remember_preferences, dispatch_uid="restoreui-preferences")
