import { z } from 'zod';
import { RESERVED_EVENT_NAMESPACES } from './catalog';
import { RouterError } from './errors';
import { isDottedEventName } from './event-pattern';
import { describeIssues, showValue } from './validation-message';

/**
 * A custom event, registered before it is routed. As in the original, it has a description and
 * may name what fires it.
 */
export interface CustomEventDefinition {
  readonly name: string;
  readonly description: string;
  readonly firedBy: readonly string[];
}

/** What `router.registerEvent` accepts. */
export type CustomEventInput = z.input<typeof definitionSchema>;

const definitionSchema = z.strictObject({
  name: z
    .string({ error: (i) => `expected a string, received ${showValue(i.input)}` })
    .refine(isDottedEventName, {
      error: (i) =>
        `expected a dotted event name such as "order.fulfilled" (segments of letters, digits, "_" or "-"), received ${showValue(i.input)}`,
    }),
  description: z.string({ error: (i) => `expected a string, received ${showValue(i.input)}` }).default(''),
  firedBy: z
    .array(z.string(), { error: (i) => `expected an array of strings, received ${showValue(i.input)}` })
    .default([]),
});

/**
 * Validates a custom event definition and checks that its namespace is not reserved.
 *
 * @throws RouterError `EVENT_DEFINITION_INVALID` or `EVENT_NAME_RESERVED`.
 */
export function parseCustomEvent(input: CustomEventInput): CustomEventDefinition {
  const result = definitionSchema.safeParse(input);
  if (!result.success) {
    throw new RouterError(
      'EVENT_DEFINITION_INVALID',
      `Invalid custom event: ${describeIssues(result.error.issues)}`,
    );
  }
  const { name, description, firedBy } = result.data;
  const namespace = name.slice(0, name.indexOf('.'));
  if (RESERVED_EVENT_NAMESPACES.includes(namespace)) {
    throw new RouterError(
      'EVENT_NAME_RESERVED',
      `Custom event "${name}" uses the reserved namespace "${namespace}"; reserved: ${RESERVED_EVENT_NAMESPACES.join(', ')}`,
    );
  }
  return Object.freeze({ name, description, firedBy: Object.freeze([...firedBy]) });
}

/** True when two definitions are the same, so re-registering is a no-op. */
export function sameDefinition(a: CustomEventDefinition, b: CustomEventDefinition): boolean {
  return (
    a.name === b.name &&
    a.description === b.description &&
    a.firedBy.length === b.firedBy.length &&
    a.firedBy.every((f, i) => f === b.firedBy[i])
  );
}
