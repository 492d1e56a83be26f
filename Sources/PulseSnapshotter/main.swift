import Foundation
import PulseRuntime

WorkerMain.run(SnapshotterHandler(), environment: ProcessInfo.processInfo.environment, arguments: Array(CommandLine.arguments.dropFirst()))
