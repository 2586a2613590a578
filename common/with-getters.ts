/**
 * An object of methods and values with read-only accessor properties: what a factory returns when
 * part of its interface is a getter (a queue's size, a clock's offset).
 *
 * Why not an object literal with `get size() {...}`: V8 (Node 20) makes every object literal that
 * has an accessor a dictionary-mode object, so each load from it, methods included, is a hash
 * lookup through a LoadIC call even in optimized code. The producer's queue, publisher and clock
 * were such objects, loaded from for every event (LoadIC: 6.4% of the main thread's samples).
 * Defining each object's own closures as accessors afterwards keeps only the first object fast:
 * V8 shares a map only between objects whose accessors are the same functions, and makes the
 * next one a dictionary. So every object gets the same accessor function per name, which calls
 * that object's closure (kept under a symbol): all objects of a factory share one fast map. A
 * getter's read still costs a keyed lookup (the shared accessor is megamorphic in its name), so a
 * value read per event is a method instead (the queue's size(), the clock's measurements()).
 * test/unit/with-getters.test.ts checks this in V8 itself; eslint.config.mjs refuses accessors in
 * object literals.
 */
const GETTERS = Symbol('getters');

type Getters = Record<PropertyKey, () => unknown>;

/** One accessor function per property name, shared by every object that has that getter. */
const accessors = new Map<PropertyKey, (this: { [GETTERS]: Getters }) => unknown>();

function accessorFor(name: PropertyKey): (this: { [GETTERS]: Getters }) => unknown {
  let get = accessors.get(name);
  if (!get) {
    get = function (this: { [GETTERS]: Getters }) {
      return this[GETTERS][name]();
    };
    accessors.set(name, get);
  }
  return get;
}

export function withGetters<I extends object, K extends keyof I>(fields: Omit<I, K>, getters: { [P in K]: () => I[P] }): I {
  Object.defineProperty(fields, GETTERS, { value: getters });
  for (const name of Object.keys(getters)) Object.defineProperty(fields, name, { get: accessorFor(name), enumerable: true });
  return fields as I;
}
