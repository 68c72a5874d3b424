#!/usr/bin/env python3
# Writes the coordinator's OpenAPI 3.1 document into
# Sources/ReelCoordinator/OpenAPIDocument.swift (a string literal the binary serves
# at /openapi.json). The document is kept here as Python data because it is
# shorter to read and edit than JSON; change it with the routes and FarmAPI's
# values, run this script, and commit both. OpenAPIConformanceTests (schemathesis
# against a live coordinator) fails when the document and the server disagree.
import os
import json
err = {"$ref": "#/components/schemas/Error"}
def resp(desc, schema=None, ctype="application/json", headers=None):
    r = {"description": desc}
    if schema is not None:
        r["content"] = {ctype: {"schema": schema}}
    if headers: r["headers"] = headers
    return r
def errors(*codes):
    text = {400: "The request is malformed; the message says which value to change.",
            404: "No such job.", 409: "The job is not in a state that allows this.",
            410: "The job's results were deleted under the retention policy.",
            401: "No token, or not a live one: send `Authorization: Bearer TOKEN` (`reel token create`).",
            403: "The token's scope does not allow this route (read < submit < admin).",
            503: "The coordinator is shutting down or cannot store the job now."}
    return {str(c): resp(text[c], err) for c in codes}
idparam = {"name": "id", "in": "path", "required": True, "description": "The job id.",
           "schema": {"type": "integer", "format": "int64", "minimum": 0}}
after = {"name": "after", "in": "query", "required": False,
         "description": "Keyset cursor: only items with an id above this (the last id of the previous page).",
         "schema": {"type": "integer", "format": "int64", "minimum": 0}}
limit = {"name": "limit", "in": "query", "required": False, "description": "Items per page (default 100).",
         "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}
rangeparam = {"name": "Range", "in": "header", "required": False,
              "description": "One byte range (RFC 9110): `bytes=FIRST-LAST`, `bytes=FIRST-` or `bytes=-SUFFIX`. Several ranges, another unit or a malformed value get the whole body (200).",
              "schema": {"type": "string"}}
ranged = {"Accept-Ranges": {"description": "`bytes`: a Range header is honoured.", "schema": {"type": "string"}}}
partial = {**ranged, "Content-Range": {"description": "`bytes FIRST-LAST/LENGTH` (206) or `bytes */LENGTH` (416).", "schema": {"type": "string"}}}
link = {"Link": {"description": "`<URL>; rel=\"next\"` while the page is full: the next page.", "schema": {"type": "string"}}}
states = ["queued", "running", "decoding", "succeeded", "failed", "cancelled"]
counts = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
int_ = {"type": "integer"}
str_ = {"type": "string"}
date = {"type": "string", "format": "date-time"}
open_ = []  # `security` of the routes that need no token
digestparam = {"name": "sha256", "in": "path", "required": True, "description": "The SHA-256 of the file's bytes, 64 lowercase hex digits.",
               "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}
nameparam = lambda what: {"name": "name", "in": "path", "required": True, "description": what,
                          "schema": {"type": "string", "minLength": 1, "maxLength": 64}}
doc = {
  "openapi": "3.1.0",
  "info": {"title": "Reel coordinator API", "version": "1",
           "description": "The HTTP API of a Reel render farm's coordinator. Every error answer is `{\"error\": \"...\"}`. Listings are paginated by keyset: pass the last id seen as `after`; a full page carries a `Link: <...>; rel=\"next\"` header."},
  "paths": {
    "/v1/health": {"get": {"operationId": "health", "summary": "The event loop's health, answered by the loop itself.", "security": open_,
        "responses": {"200": resp("The farm is healthy.", {"$ref": "#/components/schemas/Health"}),
                      "503": resp("The database is unreachable (or the coordinator is stopping).", {"oneOf": [{"$ref": "#/components/schemas/Health"}, err]})}}},
    "/v1/jobs": {
      "get": {"operationId": "listJobs", "summary": "Jobs by id, a page at a time, filtered by state and model.",
        "parameters": [
          {"name": "state", "in": "query", "required": False, "style": "form", "explode": True,
           "description": "Only jobs in these states (repeat the parameter, or separate with commas).",
           "schema": {"type": "array", "items": {"type": "string", "enum": states}}},
          {"name": "model", "in": "query", "required": False, "description": "Only jobs of this model.",
           "schema": {"type": "string", "minLength": 1, "maxLength": 200}},
          after, limit],
        "responses": {"200": resp("A page of jobs.", {"type": "array", "items": {"$ref": "#/components/schemas/JobStatus"}}, headers=link),
                      **errors(400, 503)}},
      "post": {"operationId": "submitJob", "summary": "Submit a job.",
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
          "description": "A client-chosen key (1 to 255 bytes): a retried POST with the same key and request returns the job the first one created (200) instead of creating another; the same key with a different request is a 409.",
          "schema": {"type": "string", "minLength": 1, "maxLength": 255}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SubmitRequest"}}}},
        "responses": {"201": resp("The job was created.", {"$ref": "#/components/schemas/Submitted"}),
                      "200": resp("The Idempotency-Key already created this job.", {"$ref": "#/components/schemas/Submitted"}),
                      **errors(400, 409, 503)}}},
    "/v1/jobs/{id}": {"get": {"operationId": "getJob", "summary": "One job's status.", "parameters": [idparam],
        "responses": {"200": resp("The job.", {"$ref": "#/components/schemas/JobStatus"}), **errors(400, 404, 503)}}},
    "/v1/jobs/{id}/retry": {"post": {"operationId": "retryJob", "summary": "Run a failed job again (finished shards are kept).", "parameters": [idparam],
        "responses": {"200": resp("The job, running again.", {"$ref": "#/components/schemas/JobStatus"}), **errors(400, 404, 409, 410, 503)}}},
    "/v1/jobs/{id}/cancel": {"post": {"operationId": "cancelJob", "summary": "Cancel a job that has not finished.", "parameters": [idparam],
        "responses": {"200": resp("The job, cancelled.", {"$ref": "#/components/schemas/JobStatus"}), **errors(400, 404, 409, 503)}}},
    "/v1/jobs/{id}/video": {"get": {"operationId": "getVideo", "summary": "The finished job's MP4 (or its PNG when the job is a still), streamed from disk; one byte range at a time for seeking.",
        "parameters": [idparam, rangeparam],
        "responses": {"200": {"description": "The whole video (video/mp4), or the still image (image/png) of a job submitted with \"still\": true; also the answer to several ranges, or to a Range this server ignores.",
                              "headers": ranged,
                              "content": {"video/mp4": {"schema": {"type": "string", "contentMediaType": "video/mp4"}},
                                          "image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}}}},
                      "206": {"description": "The requested bytes.", "headers": partial,
                              "content": {"video/mp4": {"schema": {"type": "string", "contentMediaType": "video/mp4"}},
                                          "image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}}}},
                      "416": resp("The range starts past the end; `Content-Range: bytes */LENGTH` gives the length.", err, headers=partial),
                      **errors(400, 404, 409, 410, 503)}}},
    "/v1/jobs/{id}/events": {"get": {"operationId": "listJobEvents", "summary": "One job's event log, oldest first, a page at a time.",
        "parameters": [idparam, after, limit],
        "responses": {"200": resp("A page of events.", {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}, headers=link), **errors(400, 404, 503)}}},
    "/v1/jobs/{id}/events/stream": {"get": {"operationId": "followJobEvents",
        "summary": "One job's events as server-sent events (`id`, `event` = kind, `data` = the Event's JSON), polled every 0.5 s. A response lasts at most 1.5 s (or until the job has finished and its log is read); reconnect with Last-Event-ID, as EventSource does. A finished job with nothing left to send answers 204.",
        "parameters": [idparam, after, {"name": "Last-Event-ID", "in": "header", "required": False,
            "description": "Resume after this event id (what an EventSource sends when it reconnects).", "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"}}],
        "responses": {"200": resp("The stream.", {"type": "string"}, ctype="text/event-stream"),
                      "204": resp("The job has finished and no event is left after Last-Event-ID: stop reconnecting."), **errors(400, 404, 503)}}},
    "/v1/jobs/{id}/shards": {"get": {"operationId": "listJobShards", "summary": "One job's shards with their states: the dashboard's grid (windows x tiles across, step blocks down).",
        "parameters": [idparam],
        "responses": {"200": resp("The shards.", {"type": "array", "items": {"$ref": "#/components/schemas/ShardCell"}}), **errors(400, 404, 503)}}},
    "/v1/jobs/{id}/previews": {"get": {"operationId": "listJobPreviews",
        "summary": "One job's preview stills, one per finished decode segment (its first frame, a JPEG at most 320 px wide), in segment order; the list grows while the job decodes.",
        "parameters": [idparam],
        "responses": {"200": resp("The previews so far.", {"type": "array", "items": {"$ref": "#/components/schemas/Preview"}}), **errors(400, 404, 410, 503)}}},
    "/v1/jobs/{id}/previews/{chunk}": {"get": {"operationId": "getJobPreview", "summary": "One segment's preview still (JPEG).",
        "parameters": [idparam, {"name": "chunk", "in": "path", "required": True, "description": "The segment (decode chunk) index, from 0.",
                                 "schema": {"type": "integer", "minimum": 0}}, rangeparam],
        "responses": {"200": resp("The JPEG.", {"type": "string", "contentMediaType": "image/jpeg"}, ctype="image/jpeg", headers=ranged),
                      "206": resp("The requested bytes.", {"type": "string", "contentMediaType": "image/jpeg"}, ctype="image/jpeg", headers=partial),
                      "416": resp("The range starts past the end.", err, headers=partial),
                      **errors(400, 404, 410, 503)}}},
    "/dashboard": {"get": {"operationId": "dashboard", "security": open_,
        "summary": "The web dashboard. The page holds no data; it asks for a token, or takes one from the URL's fragment (`#token=...`), and keeps it in the `reel_token` cookie (SameSite=Strict), which the API accepts in place of the Authorization header (a POST on the cookie's word also needs `X-Reel-Dashboard: 1`).",
        "responses": {"200": resp("The page.", {"type": "string"}, ctype="text/html")}}},
    "/v1/events": {"get": {"operationId": "listEvents", "summary": "The farm's event log, oldest first, a page at a time.", "parameters": [after, limit],
        "responses": {"200": resp("A page of events.", {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}, headers=link), **errors(400, 503)}}},
    "/v1/workers": {"get": {"operationId": "listWorkers", "summary": "Registered workers.",
        "responses": {"200": resp("The workers.", {"type": "array", "items": {"$ref": "#/components/schemas/WorkerStatus"}}), **errors(503)}}},
    "/v1/workers/{name}/release": {"post": {"operationId": "releaseWorker",
        "summary": "Lift a worker's quarantine (admin): it is leased work again.", "parameters": [nameparam("The worker's name.")],
        "responses": {"200": resp("The worker.", {"type": "array", "items": {"$ref": "#/components/schemas/WorkerStatus"}}), **errors(404, 503)}}},
    "/v1/tokens": {
      "get": {"operationId": "listTokens", "summary": "API tokens (admin): names, scopes, dates; never the tokens.",
        "responses": {"200": resp("The tokens.", {"type": "array", "items": {"$ref": "#/components/schemas/TokenInfo"}}), **errors(503)}},
      "post": {"operationId": "createToken", "summary": "Create a token (admin); the answer is the only time it is shown.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TokenRequest"}}}},
        "responses": {"201": resp("The token.", {"$ref": "#/components/schemas/TokenCreated"}), **errors(400, 409, 503)}}},
    "/v1/tokens/{name}/revoke": {"post": {"operationId": "revokeToken", "summary": "Revoke a token (admin); it fails from the next request on.",
        "parameters": [nameparam("The token's name.")],
        "responses": {"200": resp("The revoked token.", {"$ref": "#/components/schemas/TokenInfo"}), **errors(404, 503)}}},
    "/v1/sources/{sha256}": {
      "put": {"operationId": "uploadSource",
        "summary": "Upload a conditioning source (an image or video file that a job's conditioning items name by digest), once: the body is the file's bytes, stored under the SHA-256 of those bytes, which must be the path's digest. `reel submit` does this for --image, --extend, --connect, --keyframe and --edit.",
        "parameters": [digestparam],
        "requestBody": {"required": True, "content": {"*/*": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}},
        "responses": {"201": resp("Stored.", {"$ref": "#/components/schemas/SourceStored"}),
                      "200": resp("The coordinator already had it (the body was checked, not stored again).", {"$ref": "#/components/schemas/SourceStored"}),
                      "413": resp("The body is larger than the coordinator's --max-source-bytes (256 MiB unless set).", err),
                      **errors(400, 503)}},
      "head": {"operationId": "hasSource", "summary": "Whether the coordinator has the source (so a client uploads each file once).",
        "parameters": [digestparam],
        "responses": {"200": resp("It has it."), "404": resp("Not uploaded yet."), "400": resp("The path is not a SHA-256 digest.")}}},
    "/metrics": {"get": {"operationId": "metrics", "summary": "Prometheus series (text exposition format 0.0.4).",
        "responses": {"200": resp("The series.", {"type": "string"}, ctype="text/plain"), **errors(503)}}},
    "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document.", "security": open_,
        "responses": {"200": resp("The OpenAPI 3.1 document.", {"type": "object"})}}},
  },
  "security": [{"bearer": []}],
  "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
      "description": "An API token from `reel token create --scope read|submit|admin` (stored hashed). Every route needs one but /v1/health, /dashboard, / and /openapi.json; a missing or unknown token is 401, a token without the route's scope 403."}},
    "schemas": {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string", "description": "What went wrong and what to do next."}}},
    "SourceStored": {"type": "object", "required": ["sha256", "bytes"],
      "properties": {"sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "bytes": {"type": "integer", "minimum": 0}}},
    "Submitted": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer", "format": "int64"}}},
    "Health": {"type": "object",
      "required": ["ok", "database", "workers", "active_jobs", "longest_loop_gap_ms", "loop_cpu_ms", "reregistrations", "rejected_messages", "shards_completed", "record_backlog", "results_waiting"],
      "properties": {"ok": {"type": "boolean"}, "database": str_, "workers": int_, "active_jobs": int_, "longest_loop_gap_ms": {"type": "number"},
                     "loop_cpu_ms": {"type": "number"}, "reregistrations": int_, "rejected_messages": int_, "shards_completed": int_,
                     "record_backlog": int_, "results_waiting": int_}},
    "JobStatus": {"type": "object",
      "required": ["id", "model", "state", "run", "shards", "shard_total", "progress", "frames", "fps", "width", "height", "windows"],
      "properties": {"id": {"type": "integer", "format": "int64"}, "name": str_, "model": str_, "state": {"type": "string", "enum": states},
        "run": int_, "reason": str_, "shards": counts, "shard_total": int_, "decode_chunk_states": counts,
        "progress": {"type": "number", "minimum": 0, "maximum": 1}, "frames": int_, "fps": int_, "width": int_, "height": int_, "windows": int_,
        "latents_sha256": str_, "video_sha256": str_, "created_at": date, "finished_at": date, "expired_at": date,
        "embeddings": {"type": "string", "description": "Where the prompt embeddings came from: stand-in, file, encoded on a worker (cached)."},
        "waiting": {"type": "string", "description": "Why an unfinished job cannot progress now (its prompt encoding, its conditioning sources' encodings, a pool with no worker)."},
        "pool": str_, "still": {"type": "boolean", "description": "The job renders one frame as PNG."},
        "history": {"$ref": "#/components/schemas/History"}}},
    "History": {"type": "object", "description": "Where a finished or running job's time went (GET /v1/jobs/{id} only).",
      "required": ["retries", "workers_used", "compute_seconds"],
      "properties": {"queue_seconds": {"type": "number", "minimum": 0}, "render_seconds": {"type": "number", "minimum": 0},
        "decode_seconds": {"type": "number", "minimum": 0}, "retries": {"type": "integer", "minimum": 0},
        "workers_used": {"type": "integer", "minimum": 0}, "compute_seconds": {"type": "number", "minimum": 0,
          "description": "The workers' own compute time (loading and running the model), summed over stored items."}}},
    "WorkerStatus": {"type": "object",
      "required": ["name", "host", "state", "cores", "threads", "slots", "running", "models", "shards_done"],
      "properties": {"name": str_, "host": str_, "state": {"type": "string", "enum": ["active", "lost", "gone"]}, "cores": int_, "threads": int_,
        "slots": int_, "running": {"type": "array", "items": str_}, "models": {"type": "array", "items": str_}, "last_seen_at": date, "shards_done": int_,
        "pools": {"type": "array", "items": str_}, "quarantined_at": date, "quarantine_reason": str_,
        "shards_per_minute": {"type": "number", "minimum": 0, "description": "Shards stored per minute over its last ten."}}},
    "Event": {"type": "object", "required": ["id", "at", "kind"],
      "properties": {"id": {"type": "integer", "format": "int64"}, "at": date, "job": {"type": "integer", "format": "int64"}, "region": int_, "block": int_,
        "worker": str_, "kind": {"type": "string", "description": "job.created, shard.done, rejected, worker.state, ..."}, "detail": str_}},
    "Preview": {"type": "object", "required": ["chunk", "frame_begin", "frame_end", "seconds", "url"],
      "properties": {"chunk": int_, "frame_begin": {"type": "integer", "minimum": 0, "description": "The still's frame, the segment's first."},
        "frame_end": {"type": "integer", "description": "One past the segment's last frame."},
        "seconds": {"type": "number", "minimum": 0, "description": "The still's time in the video: frame_begin / fps."},
        "url": {"type": "string", "description": "Where the JPEG is: /v1/jobs/ID/previews/CHUNK."}}},
    "ShardCell": {"type": "object", "required": ["region", "block", "window", "tile", "state", "tries"],
      "properties": {"region": int_, "block": int_, "window": int_, "tile": int_,
        "state": {"type": "string", "enum": ["pending", "ready", "leased", "done", "failed", "cancelled"]}, "worker": str_, "tries": int_}},
    "EncodedTensor": {"type": "object", "required": ["shape", "data"],
      "properties": {"shape": {"type": "array", "items": {"type": "integer", "minimum": 1}}, "data": {"type": "string", "contentEncoding": "base64", "description": "Little-endian float32 values."}}},
    "TileSpec": {"type": "object", "required": ["width", "height", "overlap"],
      "properties": {"width": int_, "height": int_, "overlap": int_}},
    "PlanConfig": {"type": "object", "required": ["window", "overlap", "loop", "steps", "blend_every", "blend_floor"],
      "properties": {"window": int_, "overlap": int_, "loop": {"type": "boolean"}, "tile": {"$ref": "#/components/schemas/TileSpec"},
        "steps": int_, "blend_every": int_, "first_block": int_, "last_block": int_, "blend_floor": {"type": "number"}}},
    "JobRequest": {"type": "object", "required": ["model", "fps", "width", "height", "seed", "guidance", "plan", "priority"],
      "properties": {"name": str_, "model": str_, "prompt": str_, "negative_prompt": str_, "frames": int_, "seconds": {"type": "number"},
        "fps": int_, "width": int_, "height": int_, "seed": {"type": "integer", "minimum": 0, "maximum": 18446744073709551615},
        "guidance": {"type": "number"}, "shift": {"type": "number"}, "plan": {"$ref": "#/components/schemas/PlanConfig"}, "priority": int_,
        "pool": {"type": "string", "description": "Run only on workers of this pool."},
        "still": {"type": "boolean", "description": "A still image: one frame, fetched as PNG (frames and seconds must be absent, or frames 1)."},
        "conditioning": {"type": "array", "items": {"$ref": "#/components/schemas/ConditioningItem"},
          "description": "Known content on the latent timeline (image-to-video, extend, connect, keyframes, edit). Checked at admission, then refused: workers encode sources, the coordinator does not render conditioning yet."}}},
    "ConditioningSource": {"type": "object", "required": ["kind", "digest"],
      "properties": {"kind": {"type": "string", "enum": ["image", "video"]},
        "digest": {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "SHA-256 of the source file's bytes."},
        "first_frame": {"type": "integer", "minimum": 0, "description": "Videos: the first frame used, at the job's fps."},
        "frame_count": {"type": "integer", "minimum": 1, "description": "Videos: frames used, 4k + 1."}}},
    "PixelBox": {"type": "object", "required": ["x", "y", "width", "height"],
      "properties": {"x": int_, "y": int_, "width": int_, "height": int_}},
    "ConditioningItem": {"type": "object", "required": ["source", "mode"],
      "properties": {"source": {"$ref": "#/components/schemas/ConditioningSource"},
        "frame": {"type": "integer", "description": "Output pixel frame of the source's first frame, a multiple of the VAE's temporal stride (4); or give latent_frame."},
        "latent_frame": int_, "mode": {"type": "string", "enum": ["pin", "start"], "description": "pin: kept exactly; start: SDEdit from the source."},
        "strength": {"type": "number", "description": "mode start only: in (0, 1]."},
        "box": {"$ref": "#/components/schemas/PixelBox"},
        "fit": {"type": "string", "enum": ["crop", "pad", "stretch"], "description": "How a source of another size fills the box or frame; crop when absent."},
        "join": {"type": "boolean", "description": "A pinned video at the clip's start or end (extend): the output also holds the source's other frames, before or after the clip; false when absent."}}},
    "TokenRequest": {"type": "object", "required": ["name", "scope"],
      "properties": {"name": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"}, "scope": {"type": "string", "enum": ["read", "submit", "admin"]}}},
    "TokenInfo": {"type": "object", "required": ["id", "name", "scope", "created_at"],
      "properties": {"id": {"type": "integer", "format": "int64"}, "name": str_, "scope": {"type": "string", "enum": ["read", "submit", "admin"]},
        "created_at": date, "revoked_at": date}},
    "TokenCreated": {"type": "object", "required": ["token", "info"],
      "properties": {"token": {"type": "string", "description": "reel_ and 64 hex digits; store it, it is not shown again."}, "info": {"$ref": "#/components/schemas/TokenInfo"}}},
    "SubmitRequest": {"type": "object", "required": ["request"],
      "properties": {"request": {"$ref": "#/components/schemas/JobRequest"}, "prompt_embeds": {"$ref": "#/components/schemas/EncodedTensor"},
        "negative_prompt_embeds": {"$ref": "#/components/schemas/EncodedTensor"}}},
  }},
}
# A prompt timeline (`reel submit --prompt-at`), in time order; `prompt` is the one before the first.
doc["components"]["schemas"]["JobRequest"]["properties"]["prompts"] = {
    "type": "array", "maxItems": 16,
    "description": "A prompt timeline: each prompt is in force from `at` seconds until the next; each window is conditioned on the weighted mix of the prompts over its span. In time order, inside the clip; `prompt` is the prompt before the first.",
    "items": {"type": "object", "required": ["at", "text"],
              "properties": {"at": {"type": "number", "minimum": 0}, "text": {"type": "string", "minLength": 1}}}}
for path, ops in doc["paths"].items():
    for op in ops.values():
        if op.get("security") != open_:
            op["responses"].update(errors(401, 403))
text = json.dumps(doc, indent=1, ensure_ascii=False)
assert '"""' not in text
swift = '''/// The coordinator's HTTP API as OpenAPI 3.1, served at `/openapi.json`.
///
/// Written by hand beside the routes (``CoordinatorHTTPServer``) and the values
/// they answer with (``FarmAPI``), and kept true by `OpenAPIConformanceTests`,
/// which runs schemathesis against a live coordinator: any answer that breaks
/// this schema, or any 5xx, fails CI. A string literal rather than a resource
/// file, so the `reel` binary serves it wherever it is copied. Generated by
/// `Deploy/openapi/make_openapi.py` (edit it there, not here).
enum OpenAPIDocument {
    static let json = #"""
''' + text + '''
"""#
}
'''
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
open(os.path.join(root, 'Sources/ReelCoordinator/OpenAPIDocument.swift'), 'w').write(swift)
