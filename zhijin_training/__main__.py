"""`python -m zhijin_training` and the `zhijin-training` script."""

from __future__ import annotations


def main() -> None:
    from zhijin_training.cli.main import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
