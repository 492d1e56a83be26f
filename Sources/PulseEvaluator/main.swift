import Foundation
import PulseRuntime

WorkerMain.run(EvaluatorHandler(), environment: ProcessInfo.processInfo.environment, arguments: Array(CommandLine.arguments.dropFirst()))
