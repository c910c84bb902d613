export function mnistDigits(): { data: Float32Array; rows: number; cols: number; labels: Uint8Array };
