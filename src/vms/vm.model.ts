export interface Vm {
  id: string;
  name: string;
  environment: string;
  tags: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}
