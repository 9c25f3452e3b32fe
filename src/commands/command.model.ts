export interface Command {
  id: string;
  vmId: string;
  /** The shell command text. */
  command: string;
  /** The issuing user's id; null once that user is erased (GDPR). */
  issuedBy: string | null;
  createdAt: Date;
}
