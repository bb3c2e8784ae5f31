export * from "./hostFacts";
