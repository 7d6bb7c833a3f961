"""What every screen shares: access to the service context."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

from zhijin_training.services.context import Context

if TYPE_CHECKING:
    from zhijin_training.tui.app import ZhijinApp


class SectionScreen(Screen[None]):
    """A top-level section of the app (one per mode)."""

    @property
    def ctx(self) -> Context:
        app: ZhijinApp = self.app  # type: ignore[assignment]
        return app.ctx
