"""schemathesis hooks for Zhida's fuzz run (loaded through SCHEMATHESIS_HOOKS=hooks).

Uploads are sent as raw bytes of the declared type (PDF, JPEG, PNG), as the app sends them.
"""

import schemathesis
from schemathesis.transport.serialization import serialize_binary


@schemathesis.serializer("application/pdf", "image/jpeg", "image/png")
def raw_bytes(ctx, value):
    return {"data": serialize_binary(value)}
