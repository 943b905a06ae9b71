import { describe, expect, it } from 'vitest';
import { DEFAULT_OUTPUT_LIMIT_BYTES, OutputBudget } from './output-budget';

describe('OutputBudget', () => {
  it('defaults to 10 MiB of line text', () => {
    expect(new OutputBudget().limitBytes).toBe(DEFAULT_OUTPUT_LIMIT_BYTES);
    expect(DEFAULT_OUTPUT_LIMIT_BYTES).toBe(10 * 1024 * 1024);
  });

  it('stores lines up to exactly the limit', () => {
    const budget = new OutputBudget(10);
    expect(budget.take(4)).toBe(true);
    expect(budget.take(6)).toBe(true);
    expect(budget.storedBytes).toBe(10);
    expect(budget.storedLines).toBe(2);
    expect(budget.isExhausted).toBe(false);
  });

  it('refuses the line that would cross the limit and every line after it, even small ones', () => {
    const budget = new OutputBudget(10);
    budget.take(8);
    expect(budget.take(3)).toBe(false);
    expect(budget.take(1)).toBe(false);
    expect(budget.take(0)).toBe(false);
    expect(budget.isExhausted).toBe(true);
  });

  it('gives the truncation marker exactly once, after the cap is first hit', () => {
    const budget = new OutputBudget(5);
    expect(budget.takeTruncationNotice()).toBeUndefined();
    budget.take(6);
    expect(budget.takeTruncationNotice()).toBe('[switchboard] output truncated: limit of 5 bytes reached');
    budget.take(1);
    expect(budget.takeTruncationNotice()).toBeUndefined();
  });

  it('keeps counting dropped lines and bytes for the final report', () => {
    const budget = new OutputBudget(5);
    budget.take(5);
    budget.take(3);
    budget.take(4);
    expect(budget.storedBytes).toBe(5);
    expect(budget.storedLines).toBe(1);
    expect(budget.droppedBytes).toBe(7);
    expect(budget.droppedLines).toBe(2);
  });

  it('rejects a negative or fractional limit', () => {
    expect(() => new OutputBudget(-1)).toThrow(RangeError);
    expect(() => new OutputBudget(1.5)).toThrow(RangeError);
  });
});
