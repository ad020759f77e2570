"""The Web Client's pages: the customer's side of a link, played by choosing photos (or samples) and submitting.

They work on a phone (viewport, 16 px text, 44 px targets), speak the link's `locale` where a translation is here
(English otherwise, `lang` set either way), name the selfie a selfie, lead back to the form after a mistake, and
tell a customer who reopens the link after submitting that nothing more is needed.
"""

from __future__ import annotations

import html

from aiohttp import web

from bot.sandbox.images import sample_photo
from bot.sandbox.jumio.rules import image_problem
from bot.sandbox.jumio.state import SandboxExecution

PART_NAMES = ("front", "back", "face")
_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Identity verification",
        "intro": "Choose a photo of the front and the back of your ID and a "
        "selfie, or use the sample photos (this is Jumio's sandbox), then submit.",
        "front": "ID front",
        "back": "ID back (not for a passport)",
        "face": "Selfie",
        "submit": "Submit my photos",
        "samples": "Use sample photos",
        "thanks": "Thank you. Your photos were submitted; you can close this page.",
        "again": "You have already submitted your photos. There is nothing more to do; you can close this page.",
        "dead": "This link does not work any more (error 9200). Ask the person helping you for a new one.",
        "missing": "Please choose at least the ID front and a selfie.",
        "not_accepted": "was not accepted",
        "back_to_form": "Back to the form",
    },
    "de": {
        "title": "Identitätsprüfung",
        "intro": "Wählen Sie ein Foto der Vorder- und Rückseite Ihres Ausweises und "
        "ein Selfie, oder nutzen Sie die Beispielfotos (dies ist Jumios Sandbox), und senden Sie sie ab.",
        "front": "Ausweis Vorderseite",
        "back": "Ausweis Rückseite (nicht beim Reisepass)",
        "face": "Selfie",
        "submit": "Meine Fotos senden",
        "samples": "Beispielfotos verwenden",
        "thanks": "Danke. Ihre Fotos wurden gesendet; Sie können diese Seite schließen.",
        "again": "Sie haben Ihre Fotos bereits gesendet. Es ist nichts mehr zu tun.",
        "dead": "Dieser Link gilt nicht mehr (Fehler 9200). Bitten Sie um einen neuen.",
        "missing": "Bitte wählen Sie mindestens die Vorderseite und ein Selfie.",
        "not_accepted": "wurde nicht angenommen",
        "back_to_form": "Zurück zum Formular",
    },
    "es": {
        "title": "Verificación de identidad",
        "intro": "Elija una foto del anverso y el reverso de su documento y "
        "un selfie, o use las fotos de ejemplo (esto es el sandbox de Jumio), y envíelas.",
        "front": "Anverso del documento",
        "back": "Reverso del documento (no para pasaporte)",
        "face": "Selfie",
        "submit": "Enviar mis fotos",
        "samples": "Usar fotos de ejemplo",
        "thanks": "Gracias. Sus fotos se enviaron; puede cerrar esta página.",
        "again": "Ya envió sus fotos. No hace falta nada más.",
        "dead": "Este enlace ya no es válido (error 9200). Pida uno nuevo.",
        "missing": "Elija al menos el anverso y un selfie.",
        "not_accepted": "no fue aceptada",
        "back_to_form": "Volver al formulario",
    },
    "fr": {
        "title": "Vérification d'identité",
        "intro": "Choisissez une photo du recto et du verso de votre pièce "
        "d'identité et un selfie, ou utilisez les photos d'exemple (ceci est le bac à sable de Jumio), puis "
        "envoyez.",
        "front": "Recto de la pièce",
        "back": "Verso de la pièce (pas pour un passeport)",
        "face": "Selfie",
        "submit": "Envoyer mes photos",
        "samples": "Utiliser les photos d'exemple",
        "thanks": "Merci. Vos photos ont été envoyées ; vous pouvez fermer cette page.",
        "again": "Vous avez déjà envoyé vos photos. Il n'y a plus rien à faire.",
        "dead": "Ce lien n'est plus valable (erreur 9200). Demandez-en un nouveau.",
        "missing": "Choisissez au moins le recto et un selfie.",
        "not_accepted": "n'a pas été acceptée",
        "back_to_form": "Retour au formulaire",
    },
}
_STYLE = (
    "body{font-family:system-ui,sans-serif;font-size:1.0625rem;line-height:1.5;margin:0;color:#1b1b1b;"
    "background:#f6f7f9}main{max-width:36rem;margin:0 auto;padding:1.5rem 1rem}h1{font-size:1.5rem}"
    "label{display:block;font-weight:600;margin:1rem 0 .35rem}input[type=file]{display:block;width:100%;"
    "min-height:48px;font-size:1rem}button,a.button{display:block;width:100%;min-height:48px;margin:1rem 0 0;"
    "font-size:1.0625rem;font-weight:600;border:0;border-radius:8px;background:#0b57d0;color:#fff;"
    "text-align:center;line-height:48px;text-decoration:none}button.secondary{background:#fff;color:#0b57d0;"
    "border:2px solid #0b57d0}.note{border-left:6px solid #146c2e;background:#e7f4ea;padding:.75rem 1rem}"
    ".problem{border-left:6px solid #b3261e;background:#fdecea;padding:.75rem 1rem}"
)


def _language(locale: str | None) -> str:
    code = (locale or "en").split("-", 1)[0].lower()
    return code if code in _WORDS else "en"


class WebClientPages:
    """The `/web/v4/app` pages of `JumioSandbox`."""

    executions: dict[str, SandboxExecution]

    def _execution_by_web_token(self, token: str) -> SandboxExecution | None:
        return next((e for e in self.executions.values() if e.web_token == token and not e.deleted), None)

    async def web_client_page(self, request: web.Request) -> web.Response:
        token = request.query.get("authorizationToken", "")
        execution = self._execution_by_web_token(token)
        lang = _language(request.query.get("locale") or (execution.locale if execution else None))
        words = _WORDS[lang]
        if (
            execution is not None
            and execution.status != "INITIATED"
            and any(part.channel == "WEB" for c in execution.credentials for part in c.parts.values())
        ):
            return _answer(lang, f'<p class="note">{words["again"]}</p>')  # reopened after submitting
        if execution is None or execution.status != "INITIATED":
            return _answer(lang, f'<p class="problem">{words["dead"]}</p>', status=403)
        fields = "".join(
            f'<label for="{name}">{words[name]}</label><input id="{name}" type="file" name="{name}" '
            'accept="image/jpeg,image/png">'
            for name in PART_NAMES
        )
        form = (
            f'<p>{words["intro"]}</p><form method="post" enctype="multipart/form-data">'
            f'<input type="hidden" name="authorizationToken" value="{html.escape(token)}">'
            f'<input type="hidden" name="locale" value="{lang}">{fields}'
            f'<button type="submit">{words["submit"]}</button>'
            f'<button type="submit" class="secondary" name="sample" value="1">{words["samples"]}</button></form>'
        )
        return _answer(lang, form)

    async def web_client_submit(self, request: web.Request) -> web.Response:
        form = await request.post()
        token = str(form.get("authorizationToken", ""))
        execution = self._execution_by_web_token(token)
        lang = _language(str(form.get("locale", "")) or (execution.locale if execution else None))
        words = _WORDS[lang]
        if execution is None or execution.status != "INITIATED":
            return _answer(lang, f'<p class="problem">{words["dead"]}</p>', status=403)
        back = (
            f'<a class="button" href="/web/v4/app?authorizationToken={html.escape(token)}&amp;locale={lang}">'
            f"{words['back_to_form']}</a>"
        )
        use_samples = form.get("sample") == "1"
        chosen: dict[str, bytes] = {}
        for name in PART_NAMES:
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
                label = words[name].split(" (", 1)[0]
                return _answer(
                    lang,
                    f'<p class="problem">{label} {words["not_accepted"]}: {html.escape(problem)}.</p>{back}',
                    status=400,
                )
        if "front" not in chosen or "face" not in chosen:
            return _answer(lang, f'<p class="problem">{words["missing"]}</p>{back}', status=400)
        for name, data in chosen.items():
            category = "SELFIE" if name == "face" else "ID"
            credential = next(c for c in execution.credentials if c.category == category)
            self._store_part(execution, credential, name.upper(), data, channel="WEB")  # type: ignore[attr-defined]
        self._finalize(execution)  # type: ignore[attr-defined]
        return _answer(lang, f'<p class="note">{words["thanks"]}</p>')


def _answer(lang: str, content: str, status: int = 200) -> web.Response:
    return web.Response(text=page(content, lang), content_type="text/html", status=status)


def page(content: str, lang: str = "en") -> str:
    title = _WORDS[lang]["title"]
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title} (Jumio sandbox)</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{title} (sandbox)</h1>{content}</main></body></html>"
    )
