/// A model trained once by Python xgboost 3.2.0 (xgb.train with tree_method=hist, max_depth=2, eta=0.5,
/// binary:logistic, base_score=0.5, 4 rounds) on `features`, saved with save_model("….json"), and the
/// predictions Python's Booster.predict gave for the same rows: an independent check of load + predict.
enum PythonXGBoostModel {
    static let json = #"""
{"learner":{"attributes":{},"feature_names":[],"feature_types":[],"gradient_booster":{"model":{"cats":{"enc":[],"feature_segments":[],"sorted_idx":[]},"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"4"},"iteration_indptr":[0,1,2,3,4],"tree_info":[0,0,0,0],"trees":[{"base_weights":[4.2857143E-1,6.666667E-1,-5E-1,-1.4285715E-1,4.2857143E-1,2E-1,-4.2857143E-1],"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],"default_left":[1,0,0,0,0,0,0],"id":0,"left_children":[1,3,5,-1,-1,-1,-1],"loss_changes":[1.8809525E0,1.3333333E0,9.857143E-1,0E0,0E0,0E0,0E0],"parents":[2147483647,0,0,1,1,2,2],"right_children":[2,4,6,-1,-1,-1,-1],"split_conditions":[8.2E-1,2.1E-1,3E-2,-1.4285715E-1,4.2857143E-1,2E-1,-4.2857143E-1],"split_indices":[1,0,0,0,0,0,0],"split_type":[0,0,0,0,0,0,0],"sum_hessian":[6E0,5E0,1E0,7.5E-1,4.25E0,2.5E-1,7.5E-1],"tree_param":{"num_deleted":"0","num_feature":"2","num_nodes":"7","size_leaf_vector":"1"}},{"base_weights":[2.3330109E-1,3.983066E-1,-3.733183E-1,2.165971E-2,4.794353E-1,1.8042487E-1,-3.44696E-1],"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],"default_left":[1,0,0,0,0,0,0],"id":1,"left_children":[1,3,5,-1,-1,-1,-1],"loss_changes":[8.264382E-1,1.1139861E0,7.0453995E-1,0E0,0E0,0E0,0E0],"parents":[2147483647,0,0,1,1,2,2],"right_children":[2,4,6,-1,-1,-1,-1],"split_conditions":[8.2E-1,7.1E-1,3E-2,2.165971E-2,4.794353E-1,1.8042487E-1,-3.44696E-1],"split_indices":[1,1,0,0,0,0,0],"split_type":[0,0,0,0,0,0,0],"sum_hessian":[5.770961E0,4.8068557E0,9.6410525E-1,3.6026754E0,1.2041805E0,2.4751657E-1,7.1658874E-1],"tree_param":{"num_deleted":"0","num_feature":"2","num_nodes":"7","size_leaf_vector":"1"}},{"base_weights":[1.7528918E-1,-1.4747337E-1,5.7686126E-1,-6.266499E-1,3.3001062E-1,5.1143163E-1,-3.1863478E-1],"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],"default_left":[0,0,0,0,0,0,0],"id":2,"left_children":[1,3,5,-1,-1,-1,-1],"loss_changes":[9.328012E-1,4.776236E0,2.3402703E0,0E0,0E0,0E0,0E0],"parents":[2147483647,0,0,1,1,2,2],"right_children":[2,4,6,-1,-1,-1,-1],"split_conditions":[7E-1,6.3E-1,6.3E-1,-6.266499E-1,3.3001062E-1,5.1143163E-1,-3.1863478E-1],"split_indices":[0,1,1,0,0,0,0],"split_type":[0,0,0,0,0,0,0],"sum_hessian":[5.540496E0,3.422461E0,2.1180346E0,1.2114087E0,2.2110524E0,1.6642275E0,4.5380712E-1],"tree_param":{"num_deleted":"0","num_feature":"2","num_nodes":"7","size_leaf_vector":"1"}},{"base_weights":[9.1573E-2,4.303085E-1,-1.3707003E-1,-1.1185583E-1,3.711748E-1,-2.689605E-1,1.6590987E-1],"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],"default_left":[1,0,0,0,0,0,0],"id":3,"left_children":[1,3,5,-1,-1,-1,-1],"loss_changes":[5.288831E-1,7.143464E-1,1.0018554E0,0E0,0E0,0E0,0E0],"parents":[2147483647,0,0,1,1,2,2],"right_children":[2,4,6,-1,-1,-1,-1],"split_conditions":[3.7E-1,5.8E-1,7E-1,-1.1185583E-1,3.711748E-1,-2.689605E-1,1.6590987E-1],"split_indices":[0,1,0,0,0,0,0],"split_type":[0,0,0,0,0,0,0],"sum_hessian":[5.0671883E0,1.6865493E0,3.3806388E0,6.3619393E-1,1.0503554E0,1.7431813E0,1.6374576E0],"tree_param":{"num_deleted":"0","num_feature":"2","num_nodes":"7","size_leaf_vector":"1"}}]},"name":"gbtree"},"learner_model_param":{"base_score":"[5E-1]","boost_from_average":"0","num_class":"0","num_feature":"2","num_target":"1"},"objective":{"name":"binary:logistic","reg_loss_param":{"scale_pos_weight":"1"}}},"version":[3,2,0]}
"""#

    static let features: [Float] = [
        0.09000000357627869, 0.23999999463558197,
        0.800000011920929, 0.5799999833106995,
        0.09000000357627869, 0.4300000071525574,
        0.47999998927116394, 0.1599999964237213,
        0.7300000190734863, 0.10999999940395355,
        0.38999998569488525, .nan,
        0.4300000071525574, 0.5899999737739563,
        0.7400000095367432, 0.9599999785423279,
        0.2800000011920929, 0.6499999761581421,
        0.699999988079071, 0.28999999165534973,
        0.0, 0.9700000286102295,
        .nan, 0.3100000023841858,
        0.8899999856948853, 0.5899999737739563,
        0.4699999988079071, 0.7699999809265137,
        0.029999999329447746, 0.7099999785423279,
        0.3700000047683716, 0.09000000357627869,
        0.6600000262260437, 0.9300000071525574,
        0.20999999344348907, 0.6299999952316284,
        0.30000001192092896, 0.7400000095367432,
        0.7200000286102295, 0.2199999988079071,
        0.8299999833106995, 0.6600000262260437,
        0.6800000071525574, 0.8199999928474426,
        0.4300000071525574, 0.7599999904632568,
        0.8799999952316284, 0.10000000149011612,
    ]

    static let predictions: [Float] = [
        0.2974013686180115, 0.7553906440734863, 0.2974013686180115, 0.39045995473861694,
        0.7553906440734863, 0.7249314188957214, 0.39045995473861694, 0.28373849391937256,
        0.7597695589065552, 0.7553906440734863, 0.746798574924469, 0.7005266547203064,
        0.7553906440734863, 0.7249314188957214, 0.7384182810783386, 0.39045995473861694,
        0.3291090726852417, 0.7597695589065552, 0.8332992196083069, 0.7553906440734863,
        0.5738328099250793, 0.3291090726852417, 0.7249314188957214, 0.7553906440734863,
    ]
}
