/** One schema change, for both databases; see migrations.ts for how they run. */
export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}
