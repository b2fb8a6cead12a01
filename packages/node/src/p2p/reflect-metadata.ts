/**
 * @peculiar/x509 resolves its algorithm providers through tsyringe, which refuses to load unless
 * `Reflect.getMetadata` exists (the "reflect-metadata" proposal polyfill), yet does not depend on a
 * polyfill itself. tsyringe calls exactly three functions — `getMetadata`, `getOwnMetadata`,
 * `defineMetadata` — and x509's classes declare no constructor parameters, so a small keyed store
 * is all it needs. Import this module before `@peculiar/x509`. A real polyfill, if one is loaded
 * first, is left alone.
 */

type MetadataKey = string | symbol;
type MetadataStore = WeakMap<object, Map<MetadataKey, unknown>>;

interface ReflectMetadataApi {
  getMetadata?: (key: MetadataKey, target: object) => unknown;
  getOwnMetadata?: (key: MetadataKey, target: object) => unknown;
  defineMetadata?: (key: MetadataKey, value: unknown, target: object) => void;
}

const reflect = Reflect as unknown as ReflectMetadataApi;

if (typeof reflect.getMetadata !== 'function') {
  const store: MetadataStore = new WeakMap();
  const getOwn = (key: MetadataKey, target: object): unknown => store.get(target)?.get(key);
  reflect.getOwnMetadata = getOwn;
  reflect.getMetadata = (key, target) => {
    // Metadata is inherited along the prototype chain, as in the proposal's OrdinaryGetMetadata.
    for (let at: object | null = target; at !== null; at = Object.getPrototypeOf(at) as object | null) {
      const value = store.get(at)?.get(key);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  reflect.defineMetadata = (key, value, target) => {
    let entries = store.get(target);
    if (entries === undefined) {
      entries = new Map();
      store.set(target, entries);
    }
    entries.set(key, value);
  };
}
