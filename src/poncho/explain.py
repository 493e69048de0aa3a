"""`poncho-resolve explain PATH... MODULE`: every site importing MODULE, and why it maps where it does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from poncho.analysis import Analysis, Guard, ImportSite
from poncho.index_cache import Mapper, Source
from poncho.index_cache.requirements import declared_runtime, lazy_optional, map_site, use_project_context

if TYPE_CHECKING:  # pragma: no cover
    from poncho.analysis.declared import Declarations

GUARD_TEXT = {
    Guard.REQUIRED: "required",
    Guard.OPTIONAL: "optional (guarded by try/except ImportError, or loaded by an optional-import helper; "
                    "locked only with --include-optional)",
    Guard.TYPING: "typing only (under `if TYPE_CHECKING:`; never locked)",
}
SOURCE_TEXT = {
    Source.OVERRIDE: "user override",
    Source.ENVIRONMENT: "installed environment",
    Source.INDEX: "shipped index",
    Source.PROBE: "live probe of the index, confirmed by the wheel's file list",
    Source.UNRESOLVED: "unresolved",
}


def _matches(site: ImportSite, module: str) -> bool:
    return site.module == module or site.module.startswith(module + ".") or module.startswith(site.module + ".")


def explain(analysis: Analysis, mapper: Mapper, module: str, declared: Declarations | None = None) -> str:
    """A person-readable account; empty sites produce a message saying so, not an error."""
    sites = [s for s in analysis.sites if _matches(s, module)]
    if not sites:
        return f"{module}: not imported anywhere in the analyzed code ({analysis.files} files)\n"
    lines = [f"{module}: imported at {len(sites)} site(s)"]
    for s in sites:
        where = "module level" if s.scope == "<module>" else f"in {s.scope}"
        rule = getattr(s, "rule", None)
        how = s.kind.value + (f", rule {rule}" if rule else "") + (f", {s.note}" if s.note else "")
        extra = f"; marker: {s.marker}" if s.marker else ""
        if s.condition:  # one alternative of several: the mapping keeps the one the evidence selects
            extra += f"; an alternative, needed only with {s.condition}"
        # a fallback's alternative is the module it stands in for, which its note already names
        alt = f"; falls back to {s.alternative}" if s.alternative and s.fallback_for is None else ""
        lines.append(f"  {s.location}: {s.module} [{how}; {where}; {GUARD_TEXT[s.guard]}{extra}{alt}] "
                     f"-> {analysis.classify(s)}")
    third = [s for s in sites if analysis.classify(s) == "third-party"]
    if any(map_site(s, mapper).alternatives for s in third):  # a choice: the rest of the project is evidence
        use_project_context(analysis.third_party, mapper, declared)
    shown: set[tuple] = set()
    for name in dict.fromkeys(s.distribution or s.module for s in third):
        site = next(s for s in third if (s.distribution or s.module) == name)
        m = map_site(site, mapper)
        if (m.distribution, m.matched) in shown:
            continue
        shown.add((m.distribution, m.matched))
        if not m.resolved:
            lines.append(f"{site.module}: no distribution found ({m.reason})")
            continue
        lines.append(f"{site.module}: provided by {m.distribution} ({SOURCE_TEXT[m.source]}, matched {m.matched!r})")
        if m.extras:
            lines.append(f"  needs: {m.distribution}[{','.join(m.extras)}]")
        if m.alternatives:
            lines.append(f"  also provided by: {', '.join(m.alternatives)}")
        if m.dependents:
            lines.append("  required by crawled projects: "
                         + ", ".join(f"{dist} {n}" for dist, n in sorted(m.dependents, key=lambda x: (-x[1], x[0]))))
        if m.neighbours:
            lines.append("  neighbours (crawled projects requiring it and what this project uses):")
            lines.extend(f"    {e.describe()}" for e in m.neighbours)
        if m.reason:
            lines.append(f"  why: {m.reason}")
        said = declared.get(m.distribution or "") if declared else None
        if said is not None:
            lines.append(f"  declared: {said.requirement} in {said.where} ({said.file}:{said.line})")
        mine = [s for s in third if s.guard == Guard.REQUIRED and map_site(s, mapper).distribution == m.distribution]
        lazy = lazy_optional(mine, said.group if said is not None else None,
                             declared=said is not None, project_declares=bool(declared))
        guarded = [s for s in third if s.guard == Guard.OPTIONAL and map_site(s, mapper).distribution == m.distribution]
        wins = None if mine or said is None else declared_runtime(guarded, said.group, said.where)
        if wins:
            lines.append(f"  classified: required: {wins}")
        elif lazy:
            lines.append(f"  classified: optional integration, not locked without --include-optional: {lazy}")
        lines.append(f"  override: --map {(m.matched or site.module)}=DIST or "
                     f"[tool.poncho.mapping] \"{m.matched or site.module}\" = \"DIST\" in pyproject.toml")
    first = [s for s in sites if analysis.classify(s) == "first-party"]
    if first:
        lines.append(f"{first[0].top_level}: first-party (defined by the analyzed code itself)")
    std = [s for s in sites if analysis.classify(s) == "stdlib"]
    if std:
        lines.append(f"{std[0].top_level}: standard library of the target Python")
    gone = [s for s in sites if analysis.classify(s) == "missing-stdlib"]
    for site in gone:
        told = [d.message for d in analysis.diagnostics if d.file == site.file and d.line == site.line]
        lines.append(f"{site.top_level}: " + (told[0] if told else "standard library, but not in the target Python's"))
    return "\n".join(lines) + "\n"
