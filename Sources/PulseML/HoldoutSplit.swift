/// How rows are split into training and holdout sets.
public enum HoldoutSplit {
    /// Splits rows that come sorted by time: the last `holdoutFraction` of them is the holdout.
    ///
    /// The holdout size is `count × fraction` rounded to nearest; with a positive fraction and at
    /// least two rows, each side keeps at least one row.
    public static func byOrder(count: Int, holdoutFraction: Double) -> (train: Range<Int>, holdout: Range<Int>) {
        let count = max(count, 0)
        let fraction = holdoutFraction.isFinite ? min(max(holdoutFraction, 0), 1) : 0
        var holdout = Int((Double(count) * fraction).rounded())
        if fraction > 0 && count >= 2 {
            holdout = min(max(holdout, 1), count - 1)
        }
        let cut = count - holdout
        return (0..<cut, cut..<count)
    }

    /// Whether the row with a stable `key` (a primary key, say) belongs to the holdout.
    ///
    /// Uses 64-bit FNV-1a over the key's UTF-8 bytes, so the answer is the same on every machine and run.
    public static func isHoldout(key: String, holdoutFraction: Double) -> Bool {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let unit = Double(hash >> 11) / Double(UInt64(1) << 53)
        return unit < holdoutFraction
    }
}
