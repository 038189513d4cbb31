// The package ships no types; each test casts the result to the few fields it reads.
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown;
}
