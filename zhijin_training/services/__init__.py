"""The domain: plain Python over the database. Nothing here imports textual, typer or rich."""
