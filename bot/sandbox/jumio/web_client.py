"""The Web Client's pages: the customer's side of a link, played by choosing photos (or samples) and submitting."""

from __future__ import annotations

import html

from aiohttp import web

from bot.sandbox.images import sample_photo
from bot.sandbox.jumio.rules import image_problem
from bot.sandbox.jumio.state import SandboxExecution


class WebClientPages:
    """The `/web/v4/app` pages of `JumioSandbox`."""

    executions: dict[str, SandboxExecution]

    def _execution_by_web_token(self, token: str) -> SandboxExecution | None:
        return next((e for e in self.executions.values() if e.web_token == token and not e.deleted), None)

    async def web_client_page(self, request: web.Request) -> web.Response:
        execution = self._execution_by_web_token(request.query.get("authorizationToken", ""))
        if execution is None or execution.status != "INITIATED":
            return web.Response(text=page("This link is not valid any more (error 9200). Ask for a new one."),
                                content_type="text/html", status=403)
        token = html.escape(request.query["authorizationToken"])
        form = (
            "<p>This page plays the customer in Jumio's Web Client. Choose the photos of the ID and a selfie, or use "
            "the sample photos, and submit.</p>"
            '<form method="post" enctype="multipart/form-data">'
            f'<input type="hidden" name="authorizationToken" value="{token}">'
            '<p><label>ID front <input type="file" name="front" accept="image/jpeg,image/png"></label></p>'
            '<p><label>ID back <input type="file" name="back" accept="image/jpeg,image/png"></label></p>'
            '<p><label>Selfie <input type="file" name="face" accept="image/jpeg,image/png"></label></p>'
            '<p><button type="submit">Submit my photos</button> '
            '<button type="submit" name="sample" value="1">Use sample photos</button></p></form>'
        )
        return web.Response(text=page(form), content_type="text/html")

    async def web_client_submit(self, request: web.Request) -> web.Response:
        form = await request.post()
        execution = self._execution_by_web_token(str(form.get("authorizationToken", "")))
        if execution is None or execution.status != "INITIATED":
            return web.Response(text=page("This link is not valid any more (error 9200)."), content_type="text/html",
                                status=403)
        use_samples = form.get("sample") == "1"
        chosen: dict[str, bytes] = {}
        for name in ("front", "back", "face"):
            value = form.get(name)
            if use_samples:
                chosen[name] = sample_photo(name)
            elif isinstance(value, web.FileField):
                data = value.file.read()
                if data:
                    chosen[name] = data
        for name, data in chosen.items():
            problem = image_problem(data)
            if problem:
                return web.Response(text=page(f"The {name} photo was not accepted: {html.escape(problem)}"),
                                    content_type="text/html", status=400)
        if "front" not in chosen or "face" not in chosen:
            return web.Response(text=page("Please choose at least the ID front and a selfie."),
                                content_type="text/html", status=400)
        for name, data in chosen.items():
            category = "SELFIE" if name == "face" else "ID"
            credential = next(c for c in execution.credentials if c.category == category)
            self._store_part(execution, credential, name.upper(), data, channel="WEB")
        self._finalize(execution)
        return web.Response(text=page("Thank you. Your photos were submitted; you can close this page."),
                            content_type="text/html")


def page(content: str) -> str:
    return ("<!doctype html><html><head><meta charset='utf-8'><title>Jumio sandbox: Web Client</title></head>"
            "<body style='font-family:sans-serif;max-width:40em;margin:2em auto'>"
            f"<h1>Identity verification (sandbox)</h1>{content}</body></html>")
