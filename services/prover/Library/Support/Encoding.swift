import PakitZK

/// Field elements from the API's decimal strings.
enum FieldText {
    /// The element for a decimal string of its standard value; throws naming `field` when the
    /// text is not plain ASCII digits or the value is not below r.
    static func element(_ text: String, _ field: @autoclosure () -> String) throws(ProverError) -> Fr {
        guard !text.isEmpty, text.utf8.count <= 100,
              text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { throw .invalidRequest("\(field()) must be a decimal string of digits, got '\(text.prefix(40))'") }
        guard let value = UInt256(decimal: text), let element = Fr(value) else {
            throw .invalidRequest("\(field()) is not below the BN254 scalar field modulus r")
        }
        return element
    }
}
