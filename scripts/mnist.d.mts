export function mnistDigits(): { data: Float32Array; rows: number; cols: number; labels: Uint8Array };
export function mnistNpy(digits?: ReturnType<typeof mnistDigits>): Buffer;
