import Foundation
import PulseRuntime

WorkerMain.run(ScorerHandler(), environment: ProcessInfo.processInfo.environment, arguments: Array(CommandLine.arguments.dropFirst()))
