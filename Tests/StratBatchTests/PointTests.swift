import StratBatch
import Testing

@Suite struct PointTests {
    @Test func aPointIsNamedByItsAssignmentsInOrder() {
        let p = Point(inputs: [.init("slow", "30"), .init("fast", "10")], settings: [.init("fees", "5")])
        #expect(p.label == "slow=30 fast=10 fees=5")
        #expect(Point().label == "")
    }
}
