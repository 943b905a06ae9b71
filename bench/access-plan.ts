/** One node of an EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) tree, as auto_explain logs it. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Alias?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  Filter?: string;
  'Join Filter'?: string;
  'Hash Cond'?: string;
  'Merge Cond'?: string;
  'Sort Key'?: string[];
  'Presorted Key'?: string[];
  'Sort Method'?: string;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Heap Fetches'?: number;
  'Actual Rows': number;
  'Actual Loops': number;
  'Actual Total Time'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

/** What the plan did with the procedures table: how it found rows and what that cost. */
export interface ProcedureScan {
  nodeType: string;
  index: string | null;
  condition: string | null;
  filter: string | null;
  rowsOut: number;
  rowsRemovedByFilter: number;
  loops: number;
}

export interface PlanSummary {
  /** Rows the whole statement returned. */
  rows: number;
  /** 8 kB pages read from shared buffers (hit) and from outside them (read), whole tree. */
  sharedHit: number;
  sharedRead: number;
  procedureScans: ProcedureScan[];
  /** The access filter reached the procedures table through an index condition. */
  filterUsesIndex: boolean;
  /** Every relation the plan touched, with how. */
  accessPaths: string[];
}

function walk(node: PlanNode, visit: (node: PlanNode) => void): void {
  visit(node);
  for (const child of node.Plans ?? []) walk(child, visit);
}

/** The plan as indented text, close to EXPLAIN's own text format. */
export function renderPlan(root: PlanNode): string[] {
  const lines: string[] = [];
  const render = (node: PlanNode, depth: number): void => {
    const pad = depth === 0 ? '' : `${'      '.repeat(depth - 1)}  ->  `;
    const detailPad = `${'      '.repeat(depth)}${depth === 0 ? '  ' : '      '}`;
    let label = node['Node Type'];
    if (node['Index Name']) label += ` using ${node['Index Name']}`;
    if (node['Relation Name']) label += ` on ${node['Relation Name']}${node.Alias && node.Alias !== node['Relation Name'] ? ` ${node.Alias}` : ''}`;
    const time = node['Actual Total Time'] !== undefined ? ` time=${node['Actual Total Time']} ms` : '';
    lines.push(`${pad}${label}  (actual rows=${node['Actual Rows']} loops=${node['Actual Loops']}${time})`);
    const details: Array<[string, unknown]> = [
      ['Index Cond', node['Index Cond']], ['Recheck Cond', node['Recheck Cond']], ['Hash Cond', node['Hash Cond']],
      ['Merge Cond', node['Merge Cond']], ['Join Filter', node['Join Filter']], ['Filter', node.Filter],
      ['Rows Removed by Filter', node['Rows Removed by Filter']], ['Sort Key', node['Sort Key']?.join(', ')],
      ['Presorted Key', node['Presorted Key']?.join(', ')], ['Sort Method', node['Sort Method']], ['Heap Fetches', node['Heap Fetches']],
    ];
    for (const [name, value] of details) {
      if (value !== undefined && value !== null && value !== '') lines.push(`${detailPad}${name}: ${String(value)}`);
    }
    const hit = node['Shared Hit Blocks'] ?? 0;
    const read = node['Shared Read Blocks'] ?? 0;
    if (hit + read > 0) lines.push(`${detailPad}Buffers: shared hit=${hit}${read > 0 ? ` read=${read}` : ''}`);
    for (const child of node.Plans ?? []) render(child, depth + 1);
  };
  render(root, 0);
  return lines;
}

/** Which way the plan reached each table, and whether the ACL filter went through an index on procedures. */
export function summarizePlan(root: PlanNode, aclColumns: RegExp): PlanSummary {
  const procedureScans: ProcedureScan[] = [];
  const accessPaths: string[] = [];
  walk(root, (node) => {
    if (!node['Relation Name']) return;
    accessPaths.push(`${node['Relation Name']}: ${node['Node Type']}${node['Index Name'] ? ` using ${node['Index Name']}` : ''}`);
    if (node['Relation Name'] !== 'procedures') return;
    procedureScans.push({
      nodeType: node['Node Type'],
      index: node['Index Name'] ?? null,
      condition: node['Index Cond'] ?? null,
      filter: node.Filter ?? null,
      rowsOut: node['Actual Rows'] * node['Actual Loops'],
      rowsRemovedByFilter: (node['Rows Removed by Filter'] ?? 0) * node['Actual Loops'],
      loops: node['Actual Loops'],
    });
  });
  // A bitmap heap scan gets its rows from a Bitmap Index Scan child, which carries the condition.
  const bitmapConditions: string[] = [];
  walk(root, (node) => {
    if (node['Node Type'] === 'Bitmap Index Scan' && node['Index Cond']) bitmapConditions.push(node['Index Cond']);
  });
  const filterUsesIndex = procedureScans.some((s) => (s.condition !== null && aclColumns.test(s.condition)) || (s.nodeType === 'Bitmap Heap Scan' && bitmapConditions.some((c) => aclColumns.test(c))));
  return {
    rows: root['Actual Rows'],
    sharedHit: root['Shared Hit Blocks'] ?? 0,
    sharedRead: root['Shared Read Blocks'] ?? 0,
    procedureScans,
    filterUsesIndex,
    accessPaths,
  };
}
