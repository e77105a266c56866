"""`tomorro-sync listen`: Tomorro's webhooks as triggers of the sync (a webhook is a trigger, never the data).

- signature.py: the `Leeway-Signature` check (constant time, ±5 minutes, any of several secrets);
- events.py: `_tomorro_events` in the DuckDB file, unique on eventId;
- writer.py: stores verified events in batches (one short DuckDB connection per batch) before the 2xx;
- dbfile.py: opening the file while other processes may read it;
- dispatcher.py: the work after the answer: debounced pulls, never two at once, events marked handled;
- airbyte.py: the other trigger, a sync of an Airbyte connection through Airbyte's public API;
- app.py: the HTTP routes (ASGI); counters.py: what /health shows; server.py: config, uvicorn, shutdown.
"""
