// One way to hold a call to its error: of this type, with a message that matches. Sync throws and rejections alike.
import { expect } from 'vitest';

export async function expectError(run: () => unknown, type: ErrorConstructor, message: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected an error').toBeInstanceOf(type);
  expect((caught as Error).message).toMatch(message);
}
