import type { SessionListItem, SessionScope } from "../session-types.js";
import type { ExportSelection, ImportSessionsOptions, WorkflowStore } from "../store/workflow-store.js";
import { exportFileText, parseExportFile } from "./session-file.js";
import type { SessionService } from "./session-service.js";

export type { ExportSelection } from "../store/workflow-store.js";

/** Export and import of one flow's sessions, as files in the format of `session-file.ts`. */
export class SessionTransfer {
  constructor(
    private readonly store: WorkflowStore,
    private readonly flowId: string,
    private readonly service: SessionService,
  ) {}

  /** The export file of the selected sessions (the scope's own), as text in pieces, read from the store as they are taken. */
  exportText(selection: ExportSelection, scope: SessionScope = {}): AsyncGenerator<string, void, undefined> {
    return exportFileText(this.flowId, new Date(), this.store.exportSessions(this.flowId, selection, scope));
  }

  /**
   * Reads an export file strictly and writes its sessions, all or nothing, stamped with the scope's owner; returns
   * them as the list shows them. Throws `InvalidInputError` for a file it refuses (nothing is written) and
   * `SessionExistsError` for a kept id that is taken.
   */
  async importFile(bytes: Uint8Array, options: ImportSessionsOptions, scope: SessionScope = {}): Promise<SessionListItem[]> {
    const sessions = parseExportFile(bytes);
    const summaries = await this.store.importSessions(this.flowId, sessions, options, scope);
    this.service.changed("import", scope, summaries.map((summary) => summary.sessionId));
    return this.service.itemsOf(summaries, scope);
  }
}
