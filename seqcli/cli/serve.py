"""`seqcli serve`: the models over HTTP (seqcli/serve/, imported only here)."""

from __future__ import annotations

import click

from seqcli.cli.options import FloatRange, device_option, quiet_option


def loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may be reached from elsewhere
        return False


@click.command()
@click.option(
    "-m",
    "--model",
    "names",
    multiple=True,
    metavar="NAME",
    help="Serve only this model (repeat for more; default: every model).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; another than loopback needs --token or --no-auth.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Server processes (each loads the models it is asked for).",
)
@click.option(
    "--max-batch",
    type=click.IntRange(min=1),
    default=32,
    show_default=True,
    help="Texts run together at most (1: no batching).",
)
@click.option(
    "--wait-ms",
    type=FloatRange(min=0),
    default=5.0,
    show_default=True,
    help="How long a batch waits for more requests.",
)
@click.option(
    "--max-queue",
    type=click.IntRange(min=1),
    default=256,
    show_default=True,
    help="Requests waiting per model; more are answered 503.",
)
@click.option(
    "--timeout",
    type=FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds a request may wait for its answer (then 504).",
)
@click.option(
    "--token",
    envvar="SEQCLI_TOKEN",
    help="Ask for 'Authorization: Bearer TOKEN' on /v1/. Env: SEQCLI_TOKEN.",
)
@click.option(
    "--no-auth",
    is_flag=True,
    help="Listen on another address than loopback without a token.",
)
@device_option
@quiet_option
def serve(
    names,
    host,
    port,
    workers,
    max_batch,
    wait_ms,
    max_queue,
    timeout,
    token,
    no_auth,
    device,
):
    """Answer tag, translate, classify and generate requests over HTTP, with a web
    page at / to try the models.

    \b
    seqcli serve
    curl -s localhost:8080/v1/tag -d '{"model": "conll-en", "text": "Ann met Bo."}'
    SEQCLI_TOKEN=secret seqcli serve --host 0.0.0.0 -m conll-en -m sentiment-en
    """
    from seqcli.store import Store

    if not loopback(host) and not token and not no_auth:
        raise click.UsageError(
            f"--host {host} can be reached from other machines: give a --token "
            "(or SEQCLI_TOKEN), or --no-auth to serve without one"
        )
    store = Store()
    for name in names:  # a wrong name fails now, not at the first request
        store.manifest(name)
    import json
    import os

    import uvicorn

    from seqcli import console
    from seqcli.serve.app import ENVIRONMENT, Settings, create_app
    from seqcli.serve.server import Server

    settings = Settings(
        models=list(dict.fromkeys(names)) or None,
        device=device,
        max_batch=max_batch,
        wait_ms=wait_ms,
        timeout=timeout,
        max_queue=max_queue,
        token=token or None,
        store=str(store.root),
    )
    log = "warning" if console.quiet else "info"
    if workers > 1:  # worker processes build the application from the environment
        os.environ[ENVIRONMENT] = json.dumps(vars(settings))
        uvicorn.run(
            "seqcli.serve.app:from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log,
            proxy_headers=False,  # no part of an answer depends on the client's address
        )
        return
    config = uvicorn.Config(
        create_app(settings), host=host, port=port, log_level=log, proxy_headers=False
    )
    Server(config).run()
