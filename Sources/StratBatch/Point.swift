/// One point of a sweep: values for some of the strategy's inputs and settings
/// of the engine (`--vary fees=5`), each list in the order the sweep names them.
public struct Point: Hashable, Sendable, Codable {
    public var inputs: [Assignment]
    public var settings: [Assignment]

    /// `name = value`; the text is kept as given for settings, numbers for inputs.
    public struct Assignment: Hashable, Sendable, Codable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(inputs: [Assignment] = [], settings: [Assignment] = []) {
        self.inputs = inputs
        self.settings = settings
    }

    /// `fast=10 slow=30 fees=5`: how a point is named in messages.
    public var label: String {
        (inputs + settings).map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    }
}
