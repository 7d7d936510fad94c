"""Accessibility rules over HEEx, `~H` and EEx markup (WCAG 2.1 AA).

Shared judgement: a rule reports only what the markup shows for sure. An
element with a spread (`{@rest}`) may receive any attribute, so it is not
judged; a dynamic value (`alt={@alt}`, `aria-label={gettext("Close")}`) counts
as given. Function components are judged by the HTML the project's own
definition renders (`model.components`): `<.input label="Email">` is a
labelled `<input>` because `input/1` turns `label` into a `<label>`; a
component the project does not define, or defines in ways that disagree, is
not judged. Files under `test/` and other non-production code are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..model.components import (
    CONTROLS,
    INTERACTIVE,
    KEY_HANDLERS,
    UNLABELLED_INPUT_TYPES,
    ComponentFacts,
    ComponentUse,
    Components,
    Rendering,
    TemplateCode,
    attr_set,
    caller_handler,
    code_text,
    components,
    content_name,
    enclosing_function,
    hidden,
    interactive_inside,
    named_by_attributes,
    tag_span,
    template_roots,
)
from ..model.parsed import ParsedFile
from ..model.project import Project
from ..source.document import Span
from ..source.markup import Element
from .base import Confidence, FileRule, Finding, ProjectRule, Severity, register

# Elements with no keyboard behaviour of their own: a click handler on them is mouse-only.
NON_INTERACTIVE = frozenset({
    "div", "span", "li", "tr", "td", "th", "p", "img", "section", "article", "header", "footer", "main", "nav",
    "aside", "ul", "ol", "dl", "dt", "dd", "figure", "figcaption", "table", "tbody", "thead", "tfoot", "i", "b",
    "strong", "em", "small", "svg", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "time",
})
_STATIC_ASSET = re.compile(r"""^\s*(?:~p["'](/[^"'#]*)["']|(?:Routes\.)?static_path\([^)]*["'](/[^"']*)["']\s*\))\s*$""")
_FLASH = re.compile(r"\b(?:Phoenix\.Flash\.get|live_flash|get_flash)\s*\(|@flash\s*\[")
_LIVE_ROLES = frozenset({"alert", "status", "log"})
_OPERABLE = frozenset({"a", "button", "input", "select", "textarea", "summary"})


def _judged(file: ParsedFile) -> bool:
    return bool(file.templates) and file.runs_in_production


def _span(file: ParsedFile, element: Element) -> Span:
    return file.doc.span_of_bytes(*tag_span(element))


def _use_span(use: ComponentUse) -> Span:
    return Span(use.line, use.column, use.end_line, use.end_column)


def _tag(element: Element, *attributes: str) -> str:
    """`<a phx-click="delete">` as written (the named attributes only, shortened)."""
    parts = [element.name]
    for name in attributes:
        attribute = element.attributes.get(name)
        if attribute is None:
            continue
        if attribute.dynamic and attribute.code is None:
            parts.append(f'{name}="<%= ... %>"')  # EEx in a quoted value
        elif attribute.dynamic:
            code = attribute.code
            parts.append(f"{name}={{{code if len(code) <= 30 else code[:27] + '...'}}}")
        elif attribute.value is None:
            parts.append(name)
        else:
            value = attribute.value if len(attribute.value) <= 30 else attribute.value[:27] + "..."
            parts.append(f'{name}="{value}"')
    return "`<" + " ".join(parts) + ">`"


def _uses(project: Project) -> Iterator[tuple[Components, str, ComponentUse, ComponentFacts]]:
    """Every component use the project defines the component of, with that definition (hidden uses are not
    in the accessibility tree, so not judged)."""
    found = components(project)
    for path, use in found.all_uses():
        if use.spread or use.hidden:
            continue
        component = found.resolve(path, use)
        if component is not None and component.renderings:
            yield found, path, use, component


def _where(component: ComponentFacts) -> str:
    return f"`{component.module}.{component.name}/1`"


# -- images ---------------------------------------------------------------------------------


@register
class ImageWithoutAlt(FileRule):
    """An `<img>` without an `alt` attribute (WCAG 1.1.1).

    ## What it finds

    `<img>` tags with no `alt`, `aria-label`, `aria-labelledby` or `title`
    (browsers and screen readers fall back to it for the name) and no
    `role="presentation"`, and uses of the project's components that render
    such an image when the use gives no `alt` either. `alt=""` is fine: it
    marks a decorative image. Images whose source is the app's own static
    asset (`~p"/images/logo.svg"`) are often decorative and reported at low
    confidence; images whose source is data (`@product.photo_url`) carry
    content and are reported at high confidence.

    ## Why it matters

    WCAG 1.1.1 (Non-text Content): a screen reader meets an image without
    `alt` and reads its file name or URL ("image, 3f9a2c.jpg"), or nothing.
    A product photo, a chart, a logo that links home lose their meaning.
    Phoenix escapes and renders what the template says; nobody adds the
    text later.

    ## Example

    ```elixir
    <img src={@product.photo_url} class="h-48 w-48 rounded" />
    ```

    ## Use instead

    ```elixir
    <img src={@product.photo_url} alt={@product.name} class="h-48 w-48 rounded" />
    <img src={~p"/images/divider.svg"} alt="" />
    ```
    """

    id = "A11y.ImageWithoutAlt"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not _judged(file):
            return
        for element in file.elements:
            if element.kind != "html" or element.name != "img" or element.spread or element.has("alt"):
                continue
            if any(attr_set(element, n) for n in ("aria-label", "aria-labelledby", "title")) or \
                    (element.value("role") or "").lower() in ("presentation", "none") or hidden(element):
                continue
            confidence, what = _image_source(element)
            message = (f"{_tag(element, 'src')} has no `alt`: screen readers announce {what} instead of what the "
                       "image shows (WCAG 1.1.1).")
            fix = "Add `alt=\"...\"` saying what the image shows, or `alt=\"\"` when it is decorative."
            yield self.finding(file.path, _span(file, element), message, confidence=confidence, fix=fix)

    def check_project(self, project: Project) -> Iterable[Finding]:
        for found, path, use, component in _uses(project):
            if "alt" in use.attrs or not all(r.target == "img" and not _IMAGE_NAMES & set(r.attrs)
                                              for r in component.renderings):
                continue
            given = set(use.attrs) - set(component.declared)
            if any(r.rest for r in component.renderings) and given & {"aria-label", "aria-labelledby", "title"}:
                continue
            message = (f"`<{use.name}>` renders an `<img>` without `alt` ({_where(component)}) and this use gives "
                       "none: screen readers announce the file name instead of what the image shows (WCAG 1.1.1).")
            fix = f"Pass `alt=\"...\"` here (or `alt=\"\"` when decorative), or give {_where(component)} an `alt` attr."
            yield self.finding(path, _use_span(use), message, confidence=Confidence.MEDIUM, fix=fix)


_IMAGE_NAMES = frozenset({"alt", "aria-label", "aria-labelledby", "title"})


def _image_source(element: Element) -> tuple[Confidence, str]:
    """How likely a missing `alt` hides content: data-driven images carry it, the app's own assets often don't."""
    src = element.attributes.get("src")
    if src is None:
        return Confidence.MEDIUM, "its URL"
    if src.dynamic:
        if src.code and _STATIC_ASSET.match(src.code):
            return Confidence.LOW, "its file name"
        return Confidence.HIGH, "its URL"
    if (src.value or "").startswith("/") and not (src.value or "").startswith("//"):
        return Confidence.LOW, "its file name"
    return Confidence.MEDIUM, "its file name"


# -- form controls -----------------------------------------------------------------------------


@register
class UnlabelledFormControl(FileRule):
    """A form field with no label, `aria-label` or `aria-labelledby` (WCAG 1.3.1, 4.1.2).

    ## What it finds

    `<input>`, `<select>` and `<textarea>` elements that no `<label>` wraps,
    no `<label for>` in the same template names, and that carry no
    `aria-label`, `aria-labelledby`, `title` or `placeholder`; hidden,
    submit, button, reset and image inputs are not fields to label. A
    function component such as `<.input>` is judged by what the project's
    definition renders: a `label` attribute it shows in a `<label>` counts,
    and so do `aria-label` or `placeholder` when `{@rest}` passes them to the
    field. Fields with a dynamic `id` or `type`, or a spread, are not judged.

    ## Why it matters

    WCAG 1.3.1 (Info and Relationships) and 4.1.2 (Name, Role, Value): a
    screen reader announces an unlabelled field as "edit text, blank"; voice
    control users cannot say its name; clicking the visible text next to it
    does not focus it. Text placed near a field is not its label unless the
    markup ties them together.

    ## Example

    ```elixir
    <span>Quantity</span>
    <input type="number" name="quantity" value={@quantity} />

    <.input field={@form[:email]} type="email" />
    ```

    ## Use instead

    ```elixir
    <label for="quantity">Quantity</label>
    <input id="quantity" type="number" name="quantity" value={@quantity} />

    <.input field={@form[:email]} type="email" label="Email" />
    ```
    """

    id = "A11y.UnlabelledFormControl"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not _judged(file):
            return
        labels = [e for e in file.elements if e.kind == "html" and e.name == "label" and e.has("for")]
        named_ids = {e.value("for") for e in labels if not e.attributes["for"].dynamic}
        dynamic_for = any(e.attributes["for"].dynamic for e in labels)
        for element in file.elements:
            if element.kind != "html" or element.name not in CONTROLS or element.spread or hidden(element):
                continue
            if element.name == "input":
                kind = element.attributes.get("type")
                if kind is not None and (kind.dynamic or (kind.value or "").lower() in UNLABELLED_INPUT_TYPES):
                    continue
            if named_by_attributes(element) or attr_set(element, "placeholder") or _inside_label(element):
                continue
            confidence = Confidence.HIGH
            ident = element.attributes.get("id")
            if ident is not None:
                if ident.dynamic or ident.value in named_ids or dynamic_for:
                    continue
                confidence = Confidence.MEDIUM  # a `<label for>` in another template may name it
            message = (f"{_tag(element, 'type', 'name')} has no label: no `<label>` wraps it or names its `id`, and "
                       "it has no `aria-label`: screen readers announce a blank field (WCAG 1.3.1, 4.1.2).")
            fix = "Wrap it in a `<label>` or add `<label for=\"ID\">` with the field's `id`; `aria-label` when no text fits."
            yield self.finding(file.path, _span(file, element), message, confidence=confidence, fix=fix)

    def check_project(self, project: Project) -> Iterable[Finding]:
        for found, path, use, component in _uses(project):
            if use.labelled or (use.value("type") or "").lower() in UNLABELLED_INPUT_TYPES or \
                    "type" in use.attrs and use.value("type") is None:
                continue
            renderings = [r for r in component.renderings if r.control != "hidden"]
            # Only a field component (the caller's attributes reach the field, or it renders a label the
            # caller fills); a field deep in some other markup is judged where it is written.
            if not renderings or any(r.control in ("", "?") or not (r.control_rest or r.labels) for r in renderings):
                continue
            given = set(use.attrs) | set(component.given)
            passed = set(use.attrs) - set(component.declared)
            if any(_labels(r, given, passed) for r in renderings):
                continue
            control = renderings[0].control
            labels = sorted({a for r in renderings for a in r.labels})
            attrs = " or ".join(f"`{a}`" for a in labels)
            gives = f"neither {attrs} nor `aria-label`" if labels else "no `aria-label`"
            message = (f"`<{use.name}>` renders {_a(control)} `<{control}>` with no label ({_where(component)}): this "
                       f"use gives {gives}, so screen readers announce a blank field (WCAG 1.3.1, 4.1.2).")
            fix = (f"Pass {attrs} (the component renders it as the field's `<label>`), or `aria-label` when a "
                   "visible label would repeat nearby text." if labels else
                   "Pass `aria-label=\"...\"` (the component passes it to the field), or put a `<label>` around it.")
            yield self.finding(path, _use_span(use), message, confidence=Confidence.MEDIUM, fix=fix)


def _labels(rendering: Rendering, given: set[str], passed: set[str]) -> bool:
    if rendering.labelled or given & set(rendering.labels):
        return True
    return rendering.control_rest and bool(passed & {"aria-label", "aria-labelledby", "title", "placeholder"})


def _inside_label(element: Element) -> bool:
    return any(a.kind == "html" and a.name == "label" or a.kind == "component" and a.name.endswith("label")
               for a in element.ancestors())


# -- buttons and links ---------------------------------------------------------------------------


@register
class EmptyButtonOrLink(FileRule):
    """A button or link with no accessible name, such as an icon-only button (WCAG 4.1.2).

    ## What it finds

    `<button>` and `<a href>` elements (and uses of components that render
    one, like `<.button>` and `<.link>`) whose content has no text, no
    expression and no image with `alt`, and that carry no `aria-label`,
    `aria-labelledby` or `title`. Content hidden with `aria-hidden="true"`
    does not count. A component inside (`<.icon name="hero-trash" />`)
    counts only when the project's definition shows it renders no text; an
    unknown component is assumed to name the button. Hidden elements
    (`hidden`, `aria-hidden="true"`, a `hidden` class) are skipped: they are
    not in the accessibility tree. A component that renders an unnamed
    button whatever its caller gives (no `{@rest}`, inner block or name
    attribute) is reported once, at its definition, not at each use.

    ## Why it matters

    WCAG 4.1.2 (Name, Role, Value): a screen reader announces such a
    control as "button" or "link" and nothing else; voice control users
    cannot name it to press it. Heroicons rendered by `<.icon>` are a CSS
    mask on an empty `<span>`: they show a picture and say nothing.

    ## Example

    ```elixir
    <button type="button" phx-click="delete" phx-value-id={@item.id}>
      <.icon name="hero-trash" class="size-4" />
    </button>
    ```

    ## Use instead

    ```elixir
    <button type="button" phx-click="delete" phx-value-id={@item.id} aria-label="Delete">
      <.icon name="hero-trash" class="size-4" />
    </button>
    ```
    """

    id = "A11y.EmptyButtonOrLink"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not _judged(file):
            return
        for element in file.elements:
            if not _button_or_link(element):
                continue
            named, inside = content_name(element)
            if named or inside:
                continue  # components inside: judged with their definitions in `check_project`
            what = "button" if element.name == "button" else "link"
            message = (f"{_tag(element, 'href', 'phx-click')} has no text and no `aria-label`: screen readers announce "
                       f"\"{what}\" and nothing else (WCAG 4.1.2).")
            yield self.finding(file.path, _span(file, element), message, fix=_NAME_FIX)

    def check_project(self, project: Project) -> Iterable[Finding]:
        found = components(project)
        for path, facts in project.files.items():
            if facts.markup is None or not facts.markup.names:
                continue
            uses = facts.markup.uses
            for check in facts.markup.names:
                if found.uses_named(path, check.content):
                    continue
                shown = ", ".join(dict.fromkeys(f"`<{uses[i].name}>`" for i in check.content if i < len(uses)))
                what = "button" if check.element == "button" else "link"
                message = (f"`<{check.element}>` shows only {shown}, which renders no text, and has no `aria-label`: "
                           f"screen readers announce \"{what}\" and nothing else (WCAG 4.1.2).")
                span = Span(check.line, check.column, check.end_line, check.end_column)
                yield self.finding(path, span, message, confidence=Confidence.MEDIUM, fix=_NAME_FIX)
        for found, path, use, component in _uses(project):
            if not all(r.target in ("button", "a") for r in component.renderings) or found.named(path, use):
                continue
            if not any(r.rest or r.inner or r.names for r in component.renderings):
                continue  # no caller can name it: the definition's own `<button>` is reported, once
            tags = sorted({r.target for r in component.renderings}, reverse=True)
            what = " or ".join(f"\"{'button' if t == 'button' else 'link'}\"" for t in tags)
            rendered = " or ".join(f"`<{t}>`" for t in tags)
            message = (f"`<{use.name}>` renders {_a(tags[0])} {rendered} ({_where(component)}) "
                       f"and this use gives it no text and no `aria-label`: screen readers announce {what} and "
                       "nothing else (WCAG 4.1.2).")
            yield self.finding(path, _use_span(use), message, confidence=Confidence.MEDIUM, fix=_NAME_FIX)


_NAME_FIX = ("Add an `aria-label` that says what it does (`aria-label=\"Back\"`), or text in a "
             "`<span class=\"sr-only\">` if it should stay visually icon-only.")


def _button_or_link(element: Element) -> bool:
    if element.kind != "html" or element.spread or element.name not in ("button", "a") or hidden(element):
        return False
    if element.name == "a" and not element.has("href"):
        return False
    return not named_by_attributes(element) and (element.value("role") or "") not in ("presentation", "none")


# -- keyboard ----------------------------------------------------------------------------------


@register
class ClickWithoutKeyboard(FileRule):
    """`phx-click` on a `div`, `span`, `li` or `tr` that the keyboard cannot reach or use (WCAG 2.1.1).

    ## What it finds

    Non-interactive elements (`div`, `span`, `li`, `tr`, `td`, `p`, `img`...)
    with a `phx-click` handler but without all three of: a `role`, a
    `tabindex` and a key handler (`phx-keydown`, `phx-keyup` or a
    `phx-hook`). Not reported: elements with a link, button or field
    inside (the keyboard has a way in), `aria-hidden` elements, elements
    whose click a button, link or field of the same template also
    sends (same `phx-click` and `phx-value-*`: a modal backdrop and its
    close button, a mouse shortcut for what the keyboard can do), handlers
    a component's caller passes in (`phx-click={@row_click}`), flash
    dismissal (`lv:clear-flash`), and spreads. Component uses are judged
    when the project's definition passes `phx-click` to such an element
    through `{@rest}`.

    ## Why it matters

    WCAG 2.1.1 (Keyboard): a `div` is not focusable, Tab skips it, and
    Enter or Space on it fires no click, so LiveView never receives the
    event from keyboard, switch or screen-reader users. A screen reader also
    does not announce it as something to press.

    ## Example

    ```elixir
    <tr :for={order <- @orders} phx-click={JS.navigate(~p"/orders/#{order}")}>
      <td>{order.reference}</td>
    </tr>
    ```

    ## Use instead

    ```elixir
    <tr :for={order <- @orders}>
      <td><.link navigate={~p"/orders/#{order}"}>{order.reference}</.link></td>
    </tr>

    <div role="button" tabindex="0" phx-click="open" phx-keydown="open" phx-key="Enter">Open</div>
    ```
    """

    id = "A11y.ClickWithoutKeyboard"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not _judged(file):
            return
        for roots in template_roots(file):
            elements = [e for root in roots for e in root.walk()]
            keyboard = {_click(e) for e in elements if e.has("phx-click") and _keyboard_operable(e)}
            for element in elements:
                if element.kind == "html" and element.name in NON_INTERACTIVE and element.has("phx-click") and \
                        _click(element) not in keyboard:
                    yield from self._judge(file, element)

    def _judge(self, file: ParsedFile, element: Element) -> Iterable[Finding]:
        if element.spread or caller_handler(element) or hidden(element) or interactive_inside(element) or \
                _inside_control(element):
            return
        missing = _keyboard_gaps(element.has("role"), element.has("tabindex"),
                                 any(element.has(k) for k in KEY_HANDLERS))
        if not missing:
            return
        confidence = Confidence.HIGH if len(missing) == 3 else Confidence.MEDIUM
        message = (f"{_tag(element, 'phx-click')} works only with a mouse: it has no {_join(missing)}, so "
                   "keyboard users can't reach or trigger it (WCAG 2.1.1).")
        yield self.finding(file.path, _span(file, element), message, confidence=confidence, fix=_KEYBOARD_FIX)

    def check_project(self, project: Project) -> Iterable[Finding]:
        for _, path, use, component in _uses(project):
            if not use.click or use.interactive:
                continue
            renderings = component.renderings
            if not all(r.rest and r.target in NON_INTERACTIVE for r in renderings):
                continue
            has = set(use.attrs)
            for rendering in renderings:
                has |= set(rendering.attrs)
            missing = _keyboard_gaps("role" in has, "tabindex" in has, any(k in has for k in KEY_HANDLERS))
            if not missing:
                continue
            target = renderings[0].target
            message = (f"`<{use.name} phx-click>` puts the click on a `<{target}>` ({_where(component)}) with no "
                       f"{_join(missing)}: keyboard users can't reach or trigger it (WCAG 2.1.1).")
            yield self.finding(path, _use_span(use), message, confidence=Confidence.MEDIUM, fix=_KEYBOARD_FIX)


_KEYBOARD_FIX = ("Use a `<button type=\"button\">` (or `<.link>` for navigation), or add `role=\"button\"`, "
                 "`tabindex=\"0\"` and a `phx-keydown` handler for Enter and Space.")


def _a(tag: str) -> str:
    return "an" if tag[:1] in "aeiou" else "a"


def _click(element: Element) -> tuple[str, ...]:
    """What a click sends, as written: `phx-click` (a literal event or the `{...}` code) and the
    `phx-value-*` attributes, spacing aside. Two elements with the same one do the same thing."""
    names = ["phx-click", *sorted(n for n in element.attributes if n.startswith("phx-value-"))]
    return tuple(f"{name}={' '.join(code_text(element, name).split())}" for name in names)


def _keyboard_operable(element: Element) -> bool:
    """A button, link, field or `.button`/`.link` component: Tab reaches it and Enter fires it. One hidden until
    a script shows it counts: the script that shows a backdrop most often shows its close button too."""
    if element.kind == "component":
        return element.name.rpartition(".")[2] in ("link", "button")
    return element.kind == "html" and element.name in _OPERABLE and (element.name != "a" or element.has("href"))


def _inside_control(element: Element) -> bool:
    """Inside a link, button or label: the keyboard reaches the control around it."""
    return any(a.kind == "html" and a.name in ("a", "button", "label", "summary") or a.kind == "component"
               and a.name.rpartition(".")[2] in ("link", "button") for a in element.ancestors())


def _keyboard_gaps(role: bool, tabindex: bool, keys: bool) -> list[str]:
    return [part for part, present in (("`role`", role), ("`tabindex`", tabindex), ("key handler", keys))
            if not present]


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


@register
class LinkWithoutHref(FileRule):
    """An `<a>` without `href` used as a button or with `navigate`/`patch` (WCAG 2.1.1, 4.1.2).

    ## What it finds

    `<a>` tags with no `href` that carry `phx-click`, `onclick`,
    `role="button"`, or LiveView's `navigate`/`patch` (attributes only
    `<.link>` understands). An anchor that is only a target (`<a id="top">`)
    and `<.link>` (which always renders an `href`) are not reported, nor are
    anchors made keyboard-operable with `role`, `tabindex` and a key handler.

    ## Why it matters

    WCAG 2.1.1 (Keyboard) and 4.1.2 (Name, Role, Value): without `href` an
    `<a>` is not a link: it is not in the tab order, Enter does nothing, and
    screen readers do not announce it as a link or a button. On a plain
    `<a>`, `navigate={~p"/orders"}` is just an unknown attribute: the link
    goes nowhere for anyone.

    ## Example

    ```elixir
    <a phx-click="delete" phx-value-id={@item.id}>Delete</a>
    <a navigate={~p"/orders"}>Orders</a>
    ```

    ## Use instead

    ```elixir
    <button type="button" phx-click="delete" phx-value-id={@item.id}>Delete</button>
    <.link navigate={~p"/orders"}>Orders</.link>
    ```
    """

    id = "A11y.LinkWithoutHref"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not _judged(file):
            return
        for element in file.elements:
            if element.kind != "html" or element.name != "a" or element.spread or element.has("href"):
                continue
            if "lv:clear-flash" in code_text(element, "phx-click") or hidden(element):
                continue
            if element.has("role") and element.has("tabindex") and any(element.has(k) for k in KEY_HANDLERS):
                continue
            routed = next((a for a in ("navigate", "patch") if element.has(a)), None)
            if routed is not None:
                message = (f"{_tag(element, routed)} is a plain `<a>`: `{routed}` only works on `<.link>`, so "
                           "this link has no `href`, goes nowhere and keyboards can't reach it (WCAG 2.1.1).")
                fix = f"Write `<.link {routed}={{...}}>`: it renders the `href` and LiveView's navigation."
            elif element.has("phx-click") or element.has("onclick") or element.value("role") == "button":
                handler = "phx-click" if element.has("phx-click") else "onclick" if element.has("onclick") else "role"
                message = (f"{_tag(element, handler)} has no `href`: it is not focusable, Enter does nothing and "
                           "screen readers don't announce it as a link or a button (WCAG 2.1.1, 4.1.2).")
                fix = ("Use `<button type=\"button\">` for an action (styled as a link if need be), or "
                       "`<.link phx-click=...>`, which renders `href=\"#\"`.")
            else:
                continue
            yield self.finding(file.path, _span(file, element), message, fix=fix)


@register
class PositiveTabindex(FileRule):
    """A `tabindex` greater than zero, which reorders keyboard focus (WCAG 2.4.3).

    ## What it finds

    Elements with a literal `tabindex` above 0, and uses of the project's
    components with one when the definition passes it on through
    `{@rest}`. `tabindex="0"` and `tabindex="-1"` are fine.

    ## Why it matters

    WCAG 2.4.3 (Focus Order): positive values pull elements ahead of
    everything else in the tab order, page-wide. Keyboard users jump from
    the header to a field in the middle of a form, then back to the top;
    every new positive value in any template reshuffles the order again.

    ## Example

    ```elixir
    <input type="search" name="q" tabindex="1" aria-label="Search" />
    ```

    ## Use instead

    ```elixir
    <input type="search" name="q" aria-label="Search" />
    ```
    """

    id = "A11y.PositiveTabindex"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not _judged(file):
            return
        for element in file.elements:
            if element.kind == "html" and _positive(element.value("tabindex")):
                yield self.finding(file.path, _span(file, element), _tabindex_message(
                    f"`<{element.name}>`", element.value("tabindex")), fix=_TABINDEX_FIX)

    def check_project(self, project: Project) -> Iterable[Finding]:
        for _, path, use, component in _uses(project):
            if _positive(use.value("tabindex")) and all(r.rest for r in component.renderings):
                yield self.finding(path, _use_span(use), _tabindex_message(f"`<{use.name}>`", use.value("tabindex")),
                                   confidence=Confidence.MEDIUM, fix=_TABINDEX_FIX)


_TABINDEX_FIX = ("Remove it (links, buttons and fields are focusable already) or use `tabindex=\"0\"`, and order "
                 "the markup the way it should be read.")


def _positive(value: str | None) -> bool:
    try:
        return value is not None and int(value.strip()) > 0
    except ValueError:
        return False


def _tabindex_message(what: str, value: str | None) -> str:
    return (f"`tabindex=\"{(value or '').strip()}\"` on {what} moves it ahead of the page's natural tab order: "
            "keyboard users jump around the page (WCAG 2.4.3).")


@register
class Autofocus(FileRule):
    """`autofocus` in a layout, twice in one page, or on an element that cannot take focus (WCAG 2.4.3).

    ## What it finds

    `autofocus` (WCAG 2.4.3) in three situations: in a layout
    (`layouts/`, `layouts.ex`), where it steals focus on every page; a second
    `autofocus` in the same template, or one on an element repeated by
    `:for` (only one element can win); and on an element that cannot take
    focus (`<div autofocus>` without `tabindex`). A single `autofocus` on a
    field of a page or a modal is not reported. A dynamic value
    (`autofocus={@first}`) is not judged.

    ## Why it matters

    WCAG 2.4.3 (Focus Order): focus moved on load skips screen-reader
    users past the page's heading and content, straight into a field, with
    no warning; on every page of the app this hides the navigation and the
    page's purpose. With several candidates the browser focuses whichever
    comes first, which is rarely what the author meant.

    ## Example

    ```elixir
    <%!-- layouts/app.html.heex --%>
    <input type="search" name="q" aria-label="Search" autofocus />
    ```

    ## Use instead

    ```elixir
    <input type="search" name="q" aria-label="Search" />
    <%!-- focus the search field only on the search page, or in a modal with `<.focus_wrap>` --%>
    ```
    """

    id = "A11y.Autofocus"
    severity = Severity.INFO
    confidence = Confidence.MEDIUM

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not _judged(file):
            return
        layout = "/layouts/" in file.path or file.path.endswith("layouts.ex")
        for roots in template_roots(file):
            first: Element | None = None
            for element in (e for root in roots for e in root.walk()):
                attribute = element.attributes.get("autofocus")
                if attribute is None or attribute.dynamic or (attribute.value or "").lower() == "false":
                    continue
                finding = self._judge(file, element, first, layout)
                first = first or element
                if finding is not None:
                    yield finding

    def _judge(self, file: ParsedFile, element: Element, first: Element | None, layout: bool) -> Finding | None:
        what = f"`<{element.name} autofocus>`"
        confidence = Confidence.MEDIUM
        if element.kind == "html" and element.name not in INTERACTIVE and not element.has("tabindex") \
                and not element.has("contenteditable") and not element.spread:
            message = f"{what} can't take focus: `autofocus` on it does nothing useful (WCAG 2.4.3)."
            fix = "Put `autofocus` on the field or button that should get focus, or remove it."
            confidence = Confidence.HIGH
        elif layout:
            message = (f"{what} in a layout moves focus on every page: screen-reader users skip the page's heading "
                       "and content (WCAG 2.4.3).")
            fix = "Remove it from the layout; focus a field only on the page or in the modal that needs it."
        elif first is not None or element.has(":for"):
            where = f"the first on line {_span(file, first).line}" if first is not None else "it is inside `:for`"
            message = (f"{what} is one of several `autofocus` elements in this template ({where}): only one can "
                       "get focus, and which one depends on what renders (WCAG 2.4.3).")
            fix = "Keep a single `autofocus`, on the element that should get focus first."
            confidence = Confidence.HIGH
        else:
            return None
        return self.finding(file.path, _span(file, element), message, confidence=confidence, fix=fix)


# -- page structure -----------------------------------------------------------------------------


@register
class SkippedHeadingLevel(ProjectRule):
    """A heading that skips a level (`<h2>` then `<h4>`) in one template (WCAG 1.3.1).

    ## What it finds

    Within one template (a `.heex` file or one `~H`), a heading more than one
    level deeper than the heading before it. Components count as the heading
    their definition wraps the inner block in: phx.new's `<.header>` is an
    `<h1>`. The first heading of a template is not judged (the page around
    it is unknown), and going back up any number of levels is fine.

    ## Why it matters

    WCAG 1.3.1 (Info and Relationships), technique H42: screen-reader users
    move through a page by its headings; a jump from `<h2>` to `<h4>` reads
    as a missing section and breaks the outline they navigate by. Heading
    levels chosen for their font size are the usual cause; Tailwind classes
    set the size instead.

    ## Example

    ```elixir
    <.header>Order {@order.reference}</.header>
    <h3 class="font-semibold">Delivery notes</h3>
    ```

    ## Use instead

    ```elixir
    <.header>Order {@order.reference}</.header>
    <h2 class="text-sm font-semibold">Delivery notes</h2>
    ```
    """

    id = "A11y.SkippedHeadingLevel"
    severity = Severity.INFO
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        found = components(project)
        for path, facts in project.files.items():
            markup = facts.markup
            if markup is None or not markup.headings:
                continue
            for marks in markup.headings:
                previous = None
                for mark in marks:
                    use = markup.uses[mark.use] if mark.level == 0 and mark.use < len(markup.uses) else None
                    level = mark.level or (found.heading(path, use) if use is not None else 0)
                    if not level:
                        continue
                    if previous is not None and level > previous[0] + 1:
                        yield self._skip(path, mark, level, use, previous)
                    previous = (level, mark, use)

    def _skip(self, path: str, mark, level: int, use: ComponentUse | None, previous) -> Finding:
        before_level, before, before_use = previous
        shown = f"`<{use.name}>` (an `<h{level}>`)" if use is not None else f"`<h{level}>`"
        before_shown = (f"the `<h{before_level}>` of `<{before_use.name}>`" if before_use is not None
                        else f"`<h{before_level}>`")
        message = (f"{shown} follows {before_shown} (line {before.line}) with no `<h{before_level + 1}>` between: "
                   "the page's outline skips a level (WCAG 1.3.1).")
        fix = f"Use `<h{before_level + 1}>` here and style it with classes, not with the heading level."
        confidence = Confidence.MEDIUM if use is not None or before_use is not None else Confidence.HIGH
        span = Span(mark.line, mark.column, mark.end_line, mark.end_column)
        return self.finding(path, span, message, confidence=confidence, fix=fix)


@register
class MissingLang(FileRule):
    """The `<html>` element of a layout without a `lang` attribute (WCAG 3.1.1).

    ## What it finds

    An `<html>` tag (in the root layout, `root.html.heex`) with no `lang`
    attribute or an empty one. A dynamic value (`lang={@locale}`) is fine.

    ## Why it matters

    WCAG 3.1.1 (Language of Page): screen readers pick their voice and
    pronunciation rules from `lang`; without it they guess from the user's
    settings and read English text with, say, French pronunciation.
    Browsers also use it for translation prompts, hyphenation and spell
    checking.

    ## Example

    ```elixir
    <!DOCTYPE html>
    <html class="h-full">
    ```

    ## Use instead

    ```elixir
    <!DOCTYPE html>
    <html lang="en" class="h-full">
    <html lang={Gettext.get_locale(MyAppWeb.Gettext)}>
    ```
    """

    id = "A11y.MissingLang"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not _judged(file):
            return
        for element in file.elements:
            if element.kind == "html" and element.name == "html" and not element.spread and \
                    not attr_set(element, "lang") and not attr_set(element, "xml:lang"):
                message = ("`<html>` has no `lang`: screen readers guess the page's language and may read it with "
                           "the wrong voice and pronunciation (WCAG 3.1.1).")
                fix = "Add `lang=\"en\"` (or `lang={...}` with the current locale)."
                yield self.finding(file.path, _span(file, element), message, fix=fix)


@register
class StatusWithoutLiveRegion(FileRule):
    """A flash message or connection status shown outside any live region (WCAG 4.1.3).

    ## What it finds

    Elements that show the flash (`Phoenix.Flash.get/2`, `live_flash/2`,
    `get_flash/2`, `@flash[...]`) or a LiveView connection status
    (`phx-disconnected`) with no live region around, on or inside them: no
    `role="alert"`, `role="status"`, `role="log"`, `aria-live` or
    `<output>`. phx.new's flash components carry `role="alert"` and are not
    reported; elements with a spread are not judged.

    ## Why it matters

    WCAG 4.1.3 (Status Messages): "Saved", "Invalid formula" or
    "Reconnecting..." appear without moving focus; screen readers announce
    such messages only from a live region. Without one, a blind user never
    learns the form was saved, or that it failed.

    ## Example

    ```elixir
    <div :if={msg = Phoenix.Flash.get(@flash, :info)} class="rounded bg-emerald-50 p-3">
      {msg}
    </div>
    ```

    ## Use instead

    ```elixir
    <div :if={msg = Phoenix.Flash.get(@flash, :info)} role="status" class="rounded bg-emerald-50 p-3">
      {msg}
    </div>
    ```
    """

    id = "A11y.StatusWithoutLiveRegion"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not _judged(file) or not (b"flash" in file.doc.data or b"phx-disconnected" in file.doc.data):
            return
        code = TemplateCode(file)
        reported: list[Element] = []
        for element in file.elements:
            if element.kind != "html" or any(a in reported for a in element.ancestors()):
                continue
            status = element.has("phx-disconnected")
            flash = next((c for c in code.everything(element) if _FLASH.search(c)), None)
            if not status and flash is None:
                continue
            if _live_region(element) or _announced_by_callers(file, element):
                continue
            reported.append(element)
            shows = f"the flash (`{flash.strip()[:50]}`)" if flash is not None else "the connection status"
            message = (f"`<{element.name}>` shows {shows} without `role=\"alert\"`, `role=\"status\"` or `aria-live`: "
                       "screen readers don't announce the message when it appears (WCAG 4.1.3).")
            fix = "Add `role=\"alert\"` for errors or `role=\"status\"` for confirmations to the message's container."
            yield self.finding(file.path, _span(file, element), message, fix=fix)


def _live_region(element: Element) -> bool:
    """A live region on, around or inside the element (or a spread that may add one)."""
    return any(_region(node) for node in (*element.walk(), *element.ancestors()))


def _region(node: Element) -> bool:
    if node.kind != "html":
        return False
    if node.spread or node.name == "output" or node.has("aria-live") and node.value("aria-live") != "off":
        return True
    role = node.attributes.get("role")
    return role is not None and (role.dynamic or (role.value or "").lower() in _LIVE_ROLES)


def _announced_by_callers(file: ParsedFile, element: Element) -> bool:
    """A flash component of this file whose uses here all sit in a live region (a `flash_group` with
    `aria-live` around `<.flash>`)."""
    if file.tree is None:
        return False
    clause = enclosing_function(file, element.start)
    if clause is None:
        return False
    uses = [e for e in file.elements if e.kind == "component" and e.name == f".{clause.name}"]
    return bool(uses) and all(any(_region(a) for a in use.ancestors()) for use in uses)

