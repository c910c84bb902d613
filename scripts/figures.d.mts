export declare const PACK_SIZE_TOLERANCE: number;
export declare function documents(): string[];
export declare function blocksOf(markdown: string): { name: string; text: string }[];
export declare function sameFigures(documented: string, written: string): boolean;
export declare function figures(options?: { check?: boolean }): Promise<{ document: string; name: string; documented: string; written: string }[]>;
