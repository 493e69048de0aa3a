"""The plugin-hint rule table (``data/plugin_rules.toml``) and its matcher.

Rules are data: one small entry per pattern (a URL scheme, an engine name, a
settings list) naming the module or distribution the pattern implies. This
module only loads them and answers "what does this call/assignment need?".
"""

from __future__ import annotations

import ast
import hashlib
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .folding import Env, Folded, fold, strings_in

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

RULES_FILE = "plugin_rules.toml"
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclass(frozen=True)
class Need:
    """What a rule implies: a module the program will import, maybe its distribution and a marker."""

    module: str
    distribution: str | None = None  # may carry extras: "django-storages[s3]"
    marker: str | None = None
    # a requirement on another distribution under which this need holds ("sqlalchemy>=2.1": the
    # dialect SQLAlchemy loads for a bare URL scheme); a rule lists the alternatives, the mapping
    # stage keeps one (index_cache.conditions) and carries the condition into resolution
    when: str | None = None


@dataclass(frozen=True)
class Hit:
    """One need found at one place, with the rule and a human note."""

    need: Need
    rule: str
    note: str


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str  # "call" | "argument" | "assign"
    functions: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    when_imported: tuple[str, ...] = ()
    unless_keywords: tuple[str, ...] = ()
    needs: tuple[Need, ...] = ()
    position: int | None = None
    keyword: str | None = None
    keys: frozenset[str] = frozenset()
    values: dict = field(default_factory=dict, hash=False, compare=False)
    suffixes: dict = field(default_factory=dict, hash=False, compare=False)
    default: tuple[Need, ...] = ()
    url: str | None = None
    module_prefix: str | None = None
    dotted: bool = False
    # dotted module (or a package above it) -> needs
    modules: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    urls: dict  # family -> {scheme -> (needs, chain)}
    version: str  # digest of the rule file: part of the analysis cache key
    by_function: dict = field(hash=False, compare=False, default_factory=dict)
    by_method: dict = field(hash=False, compare=False, default_factory=dict)
    by_name: dict = field(hash=False, compare=False, default_factory=dict)

    @property
    def trigger_words(self) -> frozenset[str]:
        """Identifiers whose presence in a line makes the analyzer look at its expressions."""
        # assignment rules need no trigger: the visitor checks every assignment target's name
        words = {f.rpartition(".")[2] for f in self.by_function} | set(self.by_method)
        return frozenset(w for w in words if w)

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def _needs(raw) -> tuple[Need, ...]:
    out = []
    for item in raw or ():
        if isinstance(item, str):
            out.append(Need(item))
        else:
            out.append(Need(item["module"], item.get("distribution"), item.get("marker"), item.get("when")))
    return tuple(out)


def parse_rules(text: str) -> RuleSet:
    data = tomllib.loads(text)
    rules: list[Rule] = []
    for kind in ("call", "argument", "assign"):
        for entry in data.get(kind, []):
            rules.append(Rule(
                id=entry["id"], kind=kind,
                functions=tuple(entry.get("functions", ())), methods=tuple(entry.get("methods", ())),
                names=tuple(entry.get("names", ())), when_imported=tuple(entry.get("when_imported", ())),
                unless_keywords=tuple(entry.get("unless_keywords", ())), needs=_needs(entry.get("needs")),
                position=entry.get("position"), keyword=entry.get("keyword"), keys=frozenset(entry.get("keys", ())),
                values={k.lower(): _needs(v) for k, v in entry.get("values", {}).items()},
                suffixes={k.lower(): _needs(v) for k, v in entry.get("suffixes", {}).items()},
                default=_needs(entry.get("default")), url=entry.get("url"),
                module_prefix=entry.get("module_prefix"), dotted=bool(entry.get("dotted", False)),
                modules={k: _needs(v) for k, v in entry.get("modules", {}).items()},
            ))
    urls: dict[str, dict[str, tuple]] = {}
    for entry in data.get("url", []):
        urls.setdefault(entry["family"], {})[entry["scheme"].lower()] = (_needs(entry.get("needs")), entry.get("chain"))
    version = f"{data.get('version', 0)}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"
    by_function: dict[str, list[Rule]] = {}
    by_method: dict[str, list[Rule]] = {}
    by_name: dict[str, list[Rule]] = {}
    for r in rules:
        for f in r.functions:
            by_function.setdefault(f, []).append(r)
        for m in r.methods:
            by_method.setdefault(m, []).append(r)
        for n in r.names:
            by_name.setdefault(n, []).append(r)
    return RuleSet(tuple(rules), urls, version, by_function, by_method, by_name)


@lru_cache(maxsize=1)
def load_rules() -> RuleSet:
    """The shipped rule table (cached per process)."""
    text = resources.files(__package__).joinpath("data").joinpath(RULES_FILE).read_text(encoding="utf-8")
    return parse_rules(text)


# --- matching -------------------------------------------------------------------------------

def url_needs(ruleset: RuleSet, family: str, url: str) -> tuple[tuple[Need, ...], str]:
    """Needs implied by ``url`` in ``family``, and the scheme that matched ("" if none)."""
    if "://" not in url:
        return (), ""
    scheme = url.split("://", 1)[0].lower()
    table = ruleset.urls.get(family, {})
    for candidate in (scheme, scheme.partition("+")[0], "*"):
        if candidate in table:
            needs, chain = table[candidate]
            if chain and "+" in scheme:
                rest = scheme.partition("+")[2]
                more, _ = url_needs(ruleset, chain, f"{rest}://")
                needs = needs + more
            return needs, candidate
    return (), ""


def dotted_module(value: str) -> str | None:
    """``pkg.apps.PkgConfig`` -> ``pkg.apps``; ``rest_framework`` -> itself; None if not a dotted path."""
    if not _DOTTED.match(value):
        return None
    parts = value.split(".")
    while len(parts) > 1 and parts[-1][:1].isupper():
        parts.pop()
    return ".".join(parts)


def value_hits(ruleset: RuleSet, rule: Rule, values: list[Folded], what: str) -> list[Hit]:
    """Needs selected by the string values of an argument or assignment."""
    hits: list[Hit] = []
    any_matched = False
    for v in values:
        text, matched = v.text, False
        if v.exact and text.lower() in rule.values:
            hits += [Hit(n, rule.id, f"{what} {text!r}") for n in rule.values[text.lower()]]
            matched = True
        if v.exact and rule.suffixes:
            path = text.lower().split("?", 1)[0]
            for suffix, needs in rule.suffixes.items():
                if path.endswith(suffix):
                    hits += [Hit(n, rule.id, f"{what} {text!r} ({suffix} file)") for n in needs]
                    matched = True
                    break
        if rule.modules and v.exact and not matched:
            dotted = dotted_module(text)
            parts = dotted.split(".") if dotted else []
            for n in range(len(parts), 0, -1):
                found = rule.modules.get(".".join(parts[:n]))
                if found:
                    hits += [Hit(need, rule.id, f"{what} {text!r}") for need in found]
                    matched = True
                    break
        if rule.url:
            needs, _ = url_needs(ruleset, rule.url, text)
            scheme = text.split("://", 1)[0]
            hits += [Hit(n, rule.id, f"{what} URL {scheme}://") for n in needs]
            matched = matched or bool(needs)
        if rule.module_prefix and text.startswith(rule.module_prefix):
            rest = text[len(rule.module_prefix):]
            module = dotted_module(rest) if v.exact else Folded(rest, False).module_prefix()
            if module:
                hits.append(Hit(Need(module), rule.id, f"{what} {text!r}"))
                matched = True
        if rule.dotted and not matched:
            module = dotted_module(text) if v.exact else Folded(text, False).module_prefix()
            if module:
                hits.append(Hit(Need(module), rule.id, f"{what} {text!r}"))
                matched = True
        any_matched = any_matched or matched
    if not any_matched and rule.default:
        hits += [Hit(n, rule.id, f"{what} (default)") for n in rule.default]
    return hits


def call_hits(ruleset: RuleSet, call: ast.Call, qualname: str | None, env: Env) -> list[Hit]:
    """Needs implied by one call, by the rules for its function or method name."""
    candidates: list[Rule] = []
    if qualname and qualname in ruleset.by_function:
        candidates += ruleset.by_function[qualname]
    elif isinstance(call.func, ast.Attribute) and call.func.attr in ruleset.by_method:
        candidates += ruleset.by_method[call.func.attr]
    if not candidates:
        return []
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    name = qualname or (f".{call.func.attr}" if isinstance(call.func, ast.Attribute) else "")
    hits: list[Hit] = []
    for rule in candidates:
        if any(k in keywords for k in rule.unless_keywords) and rule.kind == "call":
            continue
        if rule.kind == "call":
            hits += [Hit(n, rule.id, f"{name}() needs {n.distribution or n.module}") for n in rule.needs]
            continue
        node = None
        if rule.keyword and rule.keyword in keywords:
            node = keywords[rule.keyword]
        elif (rule.position is not None and len(call.args) > rule.position
              and not any(isinstance(a, ast.Starred) for a in call.args[: rule.position + 1])):
            node = call.args[rule.position]
        if node is None:
            continue
        if any(k in keywords for k in rule.unless_keywords):
            continue
        values = fold(node, env) or strings_in(node, env)
        hits += value_hits(ruleset, rule, values, f"{name}()")
    return hits


def assign_hits(ruleset: RuleSet, target_name: str, value: ast.expr, env: Env,
                under: tuple[str, ...] = ()) -> list[Hit]:
    """Needs implied by ``target_name = value`` (or ``+=``, ``.append(value)``, ...).

    ``under`` holds the keys of a subscripted target (``STORAGES["default"]["BACKEND"] = v``
    is ``("default", "BACKEND")``): when one of them is a key the rule watches, ``value``
    itself is the watched value.
    """
    hits: list[Hit] = []
    for rule in ruleset.by_name.get(target_name, ()):
        if under and rule.keys and rule.keys.intersection(under):
            values = fold(value, env) or strings_in(value, env)
        else:
            values = strings_in(value, env, rule.keys)
        hits += value_hits(ruleset, rule, values, target_name)
    return hits


MUTATORS = {"append": 0, "extend": 0, "insert": 1, "add": 0, "update": 0}  # method -> position of the value


def mutation_hits(ruleset: RuleSet, call: ast.Call, target_name: str, env: Env) -> list[Hit]:
    """Needs implied by a settings list built by mutation: ``MIDDLEWARE.append("whitenoise...")``,
    ``INSTALLED_APPS.insert(0, "x")``, ``.extend([...])``."""
    if not isinstance(call.func, ast.Attribute) or call.func.attr not in MUTATORS:
        return []
    position = MUTATORS[call.func.attr]
    if len(call.args) <= position or any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return []
    return assign_hits(ruleset, target_name, call.args[position], env)
