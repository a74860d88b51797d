"""The answer to a permitted evidence download, shared by the web page and the REST API.

Streamed through the app by default (the stored file is read through the storage API and checked
against its digest on the way); with ``IPPLAN_DOWNLOADS=presigned`` and an object store, a redirect
to a URL signed for a short time. Either way the permission check has already passed, and the
answer is never stored by a cache (the signed URL in a redirect is as good as the file).
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase

from .models import Attachment
from .services.attachments import attachment_open, attachment_presigned_url


def attachment_response(*, actor: Any, attachment: Attachment) -> HttpResponseBase:
    """FileResponse or redirect; AttachmentIntegrityError when the stored file fails its check."""
    url = attachment_presigned_url(actor=actor, attachment=attachment)
    response: HttpResponseBase
    if url is not None:
        response = HttpResponseRedirect(url)
    else:
        handle, content_type, name = attachment_open(actor=actor, attachment=attachment)
        response = FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response
