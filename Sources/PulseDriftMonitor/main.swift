import Foundation
import PulseRuntime

WorkerMain.run(DriftMonitorHandler(), environment: ProcessInfo.processInfo.environment, arguments: Array(CommandLine.arguments.dropFirst()))
