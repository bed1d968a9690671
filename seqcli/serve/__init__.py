"""`seqcli serve`: the models over HTTP (Starlette under uvicorn), with requests to one
model gathered into batches. Imported only by that command: the others start without
Starlette or uvicorn. docs/serve.md describes the design."""
