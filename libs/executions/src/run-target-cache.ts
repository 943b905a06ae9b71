import type { ProcedureDefinition } from '@switchboard/procedures';

/** A procedure as a run starts it: with the version it pins. */
export interface RunTarget {
  procedureId: string;
  projectId: string;
  name: string;
  version: { id: string; version: number; definition: ProcedureDefinition } | null;
}

const MAX_ENTRIES = 1_000;

/**
 * What this process last read of procedures it started runs of, so that a trigger usually needs
 * no read before its insert. Only what never changes is trusted: a procedure's project and name,
 * and a version's definition (versions are immutable). Which version is active, and whether the
 * procedure is archived, is only a guess here: the insert of the execution checks both in the
 * same statement, and a guess that turns out stale is read again.
 */
export class RunTargetCache {
  private readonly procedures = new Map<string, { projectId: string; name: string; activeVersionId: string | null }>();
  private readonly versions = new Map<string, { version: number; definition: ProcedureDefinition }>();

  /** The target to try: the active version unless `versionId` is given; undefined when something is not known here. */
  guess(procedureId: string, versionId?: string): RunTarget | undefined {
    const procedure = this.procedures.get(procedureId);
    const id = versionId ?? procedure?.activeVersionId;
    const version = id ? this.versions.get(id) : undefined;
    if (!procedure || !id || !version) return undefined;
    return { procedureId, projectId: procedure.projectId, name: procedure.name, version: { id, ...version } };
  }

  /** A version whose definition need not be read again (the active one unless `versionId` is given), if any. */
  knownVersion(procedureId: string, versionId?: string): string | null {
    const id = versionId ?? this.procedures.get(procedureId)?.activeVersionId;
    return id && this.versions.has(id) ? id : null;
  }

  definition(versionId: string): ProcedureDefinition | undefined {
    return this.versions.get(versionId)?.definition;
  }

  /** `isActive`: the version was read as the procedure's active one (not a rerun's pinned one). */
  remember(target: RunTarget, isActive: boolean): void {
    if (this.procedures.size >= MAX_ENTRIES || this.versions.size >= MAX_ENTRIES) {
      this.procedures.clear();
      this.versions.clear();
    }
    const known = this.procedures.get(target.procedureId);
    this.procedures.set(target.procedureId, {
      projectId: target.projectId, name: target.name,
      activeVersionId: isActive ? target.version?.id ?? null : known?.activeVersionId ?? null,
    });
    if (target.version) this.versions.set(target.version.id, { version: target.version.version, definition: target.version.definition });
  }

  /** The guess was wrong (another version is active, or the procedure was archived). */
  forgetActive(procedureId: string): void {
    const known = this.procedures.get(procedureId);
    if (known) known.activeVersionId = null;
  }
}
