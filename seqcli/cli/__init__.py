"""The `seqcli` command. Commands parse options and call plain functions; torch is
imported only inside the commands that need it, so `seqcli --help` stays fast."""

from __future__ import annotations

import os
import sys

import click

from seqcli import __version__
from seqcli.errors import OptionError, SeqcliError


class Group(click.Group):
    """Turns the errors a user can fix into one line and a meaningful exit code."""

    def invoke(self, ctx: click.Context):
        from seqcli import console

        stdout, stderr = sys.stdout, sys.stderr
        sys.stdout = console.GuardedStdout(stdout)
        sys.stderr = console.GuardedStderr(stderr)
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a full device shows now, not in the flush at exit
            return result
        except OptionError as e:
            raise click.UsageError(str(e)) from None
        except SeqcliError as e:
            raise click.ClickException(str(e)) from None
        except BrokenPipeError:
            # the reader went away (e.g. `| head`): stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        finally:
            sys.stdout, sys.stderr = stdout, stderr


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="seqcli")
def cli() -> None:
    """Train and run classic recurrent sequence models.

    \b
    seqcli train charlm book.txt --name poems --time-budget 600
    seqcli generate -m poems --prime "ROMEO:" -n 300
    seqcli models list
    """


def main() -> None:
    cli(prog_name="seqcli")


# registering the commands (each module imports only click at the top): training,
# each kind's own command (seqcli/cli/COMMAND.py, named in the registry), the rest
def _register() -> None:
    import importlib

    from seqcli import kinds
    from seqcli.cli import evaluate, export, models, serve, train

    cli.add_command(train.train)
    for kind in kinds.KINDS.values():
        module = importlib.import_module(f"seqcli.cli.{kind.command}")
        cli.add_command(getattr(module, kind.command))
    for command in (evaluate.evaluate, models.models, export.export, serve.serve):
        cli.add_command(command)


_register()
