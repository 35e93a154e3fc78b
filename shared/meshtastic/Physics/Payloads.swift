import Foundation

/// On-air size arithmetic of a Meshtastic packet (`RadioInterface.h`, `Router.cpp perhapsEncode`).
///
/// A LoRa frame carries the 16-byte Meshtastic header and the encrypted `Data` message (AES-CTR
/// adds nothing; PKI adds a 12-byte tag and nonce). The firmware answers `TOO_LARGE` when the
/// result exceeds 255 bytes, so every limit below is derived from that one check.
public enum PayloadLimits {
    /// `MESHTASTIC_HEADER_LENGTH`: to, from, id (4 each), flags, channel hash, next hop, relay node.
    public static let headerBytes = 16
    /// `MESHTASTIC_PKC_OVERHEAD`: authentication tag and extra nonce of a PKI-encrypted packet.
    public static let pkiOverheadBytes = 12
    /// `MAX_LORA_PAYLOAD_LEN`: the LoRa PHY payload limit.
    public static let maximumLoRaPayload = 255
    /// `Constants.DATA_PAYLOAD_LEN`: the absolute cap on `Data.payload`.
    public static let maximumDataPayload = 233
    /// `PortNum.PRIVATE_APP`, the port our own traffic uses.
    public static let privateAppPortNumber = 256

    /// Largest encoded `Data` message that still fits: 239 B on a channel, 227 B with PKI.
    public static func maximumEncodedData(pki: Bool) -> Int {
        maximumLoRaPayload - headerBytes - (pki ? pkiOverheadBytes : 0)
    }

    /// LoRa PHY payload for an encoded `Data` of `encodedDataLength` bytes; feed this to
    /// ``LoRaModulation/timeOnAirMs(payloadBytes:)``.
    public static func onAirBytes(encodedDataLength: Int, pki: Bool) -> Int {
        headerBytes + max(encodedDataLength, 0) + (pki ? pkiOverheadBytes : 0)
    }

    /// Encoded size of a `Data` message with `payloadLength` bytes of app payload.
    ///
    /// - Parameters:
    ///   - portNumber: field 1 (varint); omitted when 0, as proto3 does.
    ///   - bitfield: field 9, which the firmware sets on every packet it originates (value < 128 ⇒ 2 B).
    ///   - requestID: field 6 (fixed32, 5 B), as carried by replies and ACKs.
    public static func encodedDataLength(
        payloadLength: Int,
        portNumber: Int = privateAppPortNumber,
        bitfield: Bool = true,
        requestID: Bool = false
    ) -> Int {
        let payload = max(payloadLength, 0)
        var length = 0
        if portNumber != 0 { length += 1 + varintLength(UInt64(truncatingIfNeeded: portNumber)) }
        if payload > 0 { length += 1 + varintLength(UInt64(payload)) + payload }
        if requestID { length += 1 + 4 }
        if bitfield { length += 2 }
        return length
    }

    /// Largest app payload on `portNumber` that the firmware accepts (not `TOO_LARGE`), never above
    /// ``maximumDataPayload``.
    public static func maximumAppPayload(
        portNumber: Int,
        pki: Bool,
        bitfield: Bool = true,
        requestID: Bool = false
    ) -> Int {
        let budget = maximumEncodedData(pki: pki)
        var payload = maximumDataPayload
        // Searching down from the cap is simpler than inverting the varint length, and short.
        while payload > 0,
              encodedDataLength(payloadLength: payload, portNumber: portNumber, bitfield: bitfield, requestID: requestID) > budget {
            payload -= 1
        }
        return payload
    }

    /// PRIVATE_APP payload limit with the firmware's bitfield: 231 B broadcast/channel, 219 B PKI unicast.
    public static func privateAppMaximumPayload(pki: Bool) -> Int {
        maximumAppPayload(portNumber: privateAppPortNumber, pki: pki)
    }

    /// Bytes of a protobuf base-128 varint.
    static func varintLength(_ value: UInt64) -> Int {
        var remaining = value >> 7
        var length = 1
        while remaining != 0 {
            remaining >>= 7
            length += 1
        }
        return length
    }
}
